// Real receivers on loopback for notification tests: an SMTP server (smtp-server) whose mails are parsed with
// mailparser, and an HTTP server that records webhook requests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface ReceivedMail {
  to: string[];
  parsed: ParsedMail;
  raw: string;
  header(name: string): string | undefined;
}

export interface SmtpReceiver {
  url: string;
  mails: ReceivedMail[];
  /** Resolves once `n` mails in all have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  stop(): Promise<void>;
}

export async function startSmtpReceiver(opts: { delayMs?: number } = {}): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  let waiters: (() => void)[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const parsed = await simpleParser(raw);
        mails.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          parsed,
          raw,
          header: (name) => {
            const v = parsed.headers.get(name.toLowerCase());
            return v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v);
          },
        });
        for (const w of waiters) w();
        // A slow server keeps the sender waiting for its answer after the mail has arrived.
        setTimeout(() => callback(), opts.delayMs ?? 0);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    waitFor(n, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (mails.length >= n) {
            waiters = waiters.filter((w) => w !== check);
            clearTimeout(timer);
            resolve(mails);
          }
        };
        const timer = setTimeout(() => reject(new Error(`only ${mails.length} of ${n} mails arrived`)), timeoutMs);
        waiters.push(check);
        check();
      });
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface WebhookRequest {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
}

export interface WebhookReceiver {
  url: string;
  requests: WebhookRequest[];
  /** The status to answer the n-th request (from 0) with; 200 unless set. */
  respond: (n: number, req: WebhookRequest) => number;
  waitFor(n: number, timeoutMs?: number): Promise<WebhookRequest[]>;
  stop(): Promise<void>;
}

export async function startWebhookReceiver(opts: { delayMs?: number } = {}): Promise<WebhookReceiver> {
  const requests: WebhookRequest[] = [];
  let waiters: (() => void)[] = [];
  const receiver: WebhookReceiver = {
    url: '',
    requests,
    respond: () => 200,
    waitFor(n, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length >= n) {
            waiters = waiters.filter((w) => w !== check);
            clearTimeout(timer);
            resolve(requests);
          }
        };
        const timer = setTimeout(() => reject(new Error(`only ${requests.length} of ${n} webhook requests arrived`)), timeoutMs);
        waiters.push(check);
        check();
      });
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        /* recorded as text */
      }
      const r: WebhookRequest = { url: req.url ?? '', headers: req.headers, body, json };
      const status = receiver.respond(requests.length, r);
      requests.push(r);
      for (const w of waiters) w();
      setTimeout(() => {
        res.writeHead(status, status >= 300 && status < 400 ? { location: 'http://127.0.0.1:1/elsewhere' } : {});
        res.end('ok');
      }, opts.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}
