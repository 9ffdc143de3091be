// HTTP: GET /sites/:site/stream — Server-Sent Events of a page's live updates. One registry of open streams,
// bounded per address and in total; one heartbeat timer for all of them; each event serialised once for every reader.
import type { Socket } from 'node:net';
import type { Request, Response } from 'express';
import type { LiveEvent, LiveUpdates } from '../domain/live';
import { AppError, tooManyRequests } from '../domain/errors';
import { toPublic } from './present';

export interface StreamOptions {
  /** Open streams one address may hold (tabs, and readers behind one NAT). */
  perIp: number;
  /** Open streams in this process; memory is bounded by it. */
  max: number;
  heartbeatMs: number;
}

/**
 * An open stream. Once its head and first frames are out it is written straight to its socket, and the request and
 * response go: Express's extensions, the router's closures, the middleware's listeners and the header text they
 * hold would otherwise stay as long as the stream (about two thirds of its memory; docs/engagement.md).
 */
interface Reader {
  socket: Socket;
  /** Frames go out as HTTP/1.1 chunks, the framing the head announced (HTTP/1.0: as they are, until close). */
  chunked: boolean;
  ip: string;
  key: string;
}

/** A reader whose socket cannot keep up (this much unsent) is dropped rather than buffered without end. */
const MAX_BUFFERED = 1 << 20;

const streamKey = (siteId: string, pageKey: string) => `${siteId}\0${pageKey}`;

export class StreamHub {
  private readonly byPage = new Map<string, Set<Reader>>();
  private readonly perIp = new Map<string, number>();
  private open = 0;
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly stopListening: () => void;

  constructor(
    private readonly live: LiveUpdates,
    private readonly options: StreamOptions,
  ) {
    this.stopListening = live.listen((e) => this.fanOut(e));
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** How many streams are open now (for metrics and the benchmark). */
  get size(): number {
    return this.open;
  }

  /** Opens a stream for a page, after replaying what a resuming reader missed. */
  serve(req: Request, res: Response, siteId: string, pageKey: string, lastEventId: string | undefined): void {
    if (this.closed) throw new AppError('shutting_down', 503, 'Service Unavailable', 'The service is restarting; reconnect shortly.', undefined, { 'Retry-After': '5' });
    const ip = req.ip ?? '';
    const held = this.perIp.get(ip) ?? 0;
    if (held >= this.options.perIp) throw tooManyRequests(`At most ${this.options.perIp} live streams per address.`, 30);
    if (this.open >= this.options.max) throw tooManyRequests('Too many live streams are open; try again later.', 30);

    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store, no-transform',
      // The stream owns its connection to the end: when it ends, so does the connection (nothing may reuse it).
      Connection: 'close',
      // Proxies such as nginx would otherwise hold events back in their buffers.
      'X-Accel-Buffering': 'no',
    });
    if (req.method === 'HEAD') return void res.end();
    const socket = req.socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    let first = 'retry: 3000\n\n';
    if (lastEventId) {
      const resume = this.live.since(siteId, pageKey, lastEventId);
      if (resume && 'reset' in resume) first += 'event: reset\ndata: {}\n\n';
      else if (resume) for (const e of resume.events) first += frame(e);
    }
    res.write(first);
    // Written to the socket already (nothing held back in the response): from here on the socket is the stream's.
    const pending = (res as unknown as { outputData?: unknown[] }).outputData;
    if (socket.destroyed || (pending && pending.length > 0)) return void res.destroy();
    const chunked = (res as unknown as { chunkedEncoding?: boolean }).chunkedEncoding === true;
    res.detachSocket(socket);
    release(req);

    const reader: Reader = { socket, chunked, ip, key: streamKey(siteId, pageKey) };
    let readers = this.byPage.get(reader.key);
    if (!readers) this.byPage.set(reader.key, (readers = new Set()));
    readers.add(reader);
    this.perIp.set(ip, held + 1);
    this.open++;
    socket.once('close', () => this.drop(reader));
  }

  /** Ends every stream and refuses new ones (graceful shutdown: server.close() can then finish). */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.stopListening();
    // The last chunk ends the response properly; the reader's side then closes the connection.
    for (const readers of this.byPage.values()) for (const r of readers) if (r.chunked) r.socket.end('0\r\n\r\n');
      else r.socket.end();
  }

  private drop(r: Reader): void {
    const readers = this.byPage.get(r.key);
    if (!readers || !readers.delete(r)) return;
    if (readers.size === 0) this.byPage.delete(r.key);
    const n = (this.perIp.get(r.ip) ?? 1) - 1;
    if (n > 0) this.perIp.set(r.ip, n);
    else this.perIp.delete(r.ip);
    this.open--;
  }

  private fanOut(e: LiveEvent): void {
    const readers = this.byPage.get(streamKey(e.siteId, e.pageKey));
    if (!readers) return;
    const text = frame(e);
    for (const r of readers) this.send(r, text);
  }

  private beat(): void {
    for (const readers of this.byPage.values()) for (const r of readers) this.send(r, ': heartbeat\n\n');
  }

  private send(r: Reader, text: string): void {
    if (r.socket.writableLength > MAX_BUFFERED) {
      r.socket.destroy();
      return;
    }
    if (!r.socket.writable) return;
    r.socket.write(r.chunked ? `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n` : text);
  }
}

/**
 * Node keeps a connection's last request until the next one (never, for a stream): let go of what Express and the
 * middleware hung on it, the response and the router's pending `next` first among them.
 */
const NO_HEADERS = Object.freeze({}) as Request['headers'];

function release(req: Request): void {
  // Data properties are assigned rather than deleted (that would make the request a slow dictionary-mode object);
  // the middleware's getters are redefined, since their closures share a scope with the response.
  const r = req as unknown as Record<string, unknown>;
  for (const key of ['res', 'next', 'route', 'log', 'params', 'rateLimit', 'body', '_parsedUrl', '_parsedOriginalUrl', 'rawHeaders']) {
    const d = Object.getOwnPropertyDescriptor(r, key);
    if (d?.get || d?.set) Object.defineProperty(r, key, { value: undefined, writable: true, configurable: true });
    else if (d) r[key] = undefined;
  }
  // Read already; a browser's dozen request headers would otherwise stay as long as the stream.
  req.headers = NO_HEADERS;
}

/** One SSE frame; the public shape only, built field by field. */
const frames = new WeakMap<LiveEvent, string>();
function frame(e: LiveEvent): string {
  let text = frames.get(e);
  if (text === undefined) {
    const data = 'removed' in e.comment ? { id: e.comment.id, deleted: true } : toPublic(e.comment, e.maxDepth);
    text = `id: ${e.id}\nevent: ${e.kind}\ndata: ${JSON.stringify(data)}\n\n`;
    frames.set(e, text);
  }
  return text;
}
