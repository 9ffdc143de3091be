// A small Server-Sent Events client for tests: raw HTTP, frames parsed as they arrive, waits with timeouts.
import http from 'node:http';

export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

export interface SseStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  events: SseEvent[];
  /** Comment lines (`: heartbeat`) seen so far. */
  comments: string[];
  /** The raw body of a non-stream answer (a problem). */
  body: string;
  ended: Promise<void>;
  /** Resolves with the events once there are at least `n` of them; rejects after `ms`. */
  waitFor(n: number, ms?: number): Promise<SseEvent[]>;
  close(): void;
}

export function openStream(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const s: SseStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events: [],
        comments: [],
        body: '',
        ended: new Promise((done) => res.on('close', () => done())),
        waitFor(n, ms = 5000) {
          return new Promise((ok, fail) => {
            const started = Date.now();
            const check = () => {
              if (s.events.length >= n) return ok(s.events);
              if (Date.now() - started > ms) return fail(new Error(`expected ${n} events, got ${JSON.stringify(s.events)}`));
              setTimeout(check, 10);
            };
            check();
          });
        },
        close() {
          req.destroy();
        },
      };
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (s.status !== 200) {
          s.body += chunk;
          return;
        }
        buffer += chunk;
        let i;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const e: SseEvent = { id: null, event: 'message', data: '' };
          let any = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) s.comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) (e.id = line.slice(4)), (any = true);
            else if (line.startsWith('event: ')) (e.event = line.slice(7)), (any = true);
            else if (line.startsWith('data: ')) (e.data += line.slice(6)), (any = true);
          }
          if (any && e.data !== '') s.events.push(e);
        }
      });
      res.on('error', () => {});
      resolve(s);
    });
    req.on('error', reject);
  });
}
