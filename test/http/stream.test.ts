// Live updates over HTTP (Server-Sent Events): events in order, nothing pending, nothing from another page or site,
// resuming with Last-Event-ID after a dropped connection, heartbeats, the per-address cap.
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { act } from '../helpers/moderation';
import { openStream, type SseStream } from '../helpers/sse';
import net from 'node:net';
import { LiveUpdates } from '../../src/domain/live';

let server: TestServer;
const streams: SseStream[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await server.stop();
});

async function start(options: Parameters<typeof startTestServer>[0] = {}) {
  server = await startTestServer(options);
  await configure(server, { ...fastPosting, moderation: 'none', votes: 'updown' });
}

async function stream(page = '/post', headers: Record<string, string> = {}, site = 'demo'): Promise<SseStream> {
  const s = await openStream(`${server.baseUrl}/api/v1/sites/${site}/stream?page=${encodeURIComponent(page)}`, headers);
  streams.push(s);
  return s;
}

const post = async (over: Record<string, unknown> = {}, site = 'demo') => {
  const r = await call(server, 'POST', `/api/v1/sites/${site}/comments`, { body: commentInput(over) });
  expect(r.status).toBe(201);
  return r.body as { comment: { id: string }; editToken: string; status: string };
};
/** Lets the live feed work out what was emitted (it loads each comment) before the next assertion. */
const settled = () => server.services.live.settled().then(() => new Promise((r) => setTimeout(r, 30)));
const parsed = (s: SseStream) => s.events.map((e) => ({ event: e.event, ...JSON.parse(e.data) }));

describe('GET /sites/:site/stream', () => {
  beforeEach(() => start());

  it('sends public changes of the page in order: new, approved, edited, voted, featured, removed', async () => {
    const s = await stream();
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(s.headers['cache-control']).toMatch(/no-store/);
    const a = await post({ body: 'First' });
    await configure(server, { moderation: 'all' });
    const b = await post({ body: 'Held first' });
    await settled();
    await act(server, { action: 'approve', ids: [b.comment.id] });
    await settled();
    await configure(server, { moderation: 'none' });
    await call(server, 'PATCH', `/api/v1/comments/${a.comment.id}`, { token: a.editToken, body: { body: 'First, edited' } });
    await settled();
    await call(server, 'POST', `/api/v1/comments/${a.comment.id}/votes`, { body: { value: -1 }, headers: { 'marginalia-voter': 'stream-voter-key-001' } });
    await settled();
    await act(server, { action: 'feature', ids: [b.comment.id] });
    await settled();
    await act(server, { action: 'delete', ids: [a.comment.id] });
    const events = parsed({ events: await s.waitFor(6) } as SseStream);
    expect(events.map((e) => [e.event, e.id])).toEqual([
      ['comment', a.comment.id],
      ['comment', b.comment.id],
      ['update', a.comment.id],
      ['update', a.comment.id],
      ['update', b.comment.id],
      ['update', a.comment.id],
    ]);
    expect(events[0]).toEqual(expect.objectContaining({ html: '<p>First</p>', deleted: false, author: expect.objectContaining({ name: expect.any(String) }) }));
    expect(events[2].html).toBe('<p>First, edited</p>');
    expect(events[3]).toEqual(expect.objectContaining({ score: -1, upvotes: 0, downvotes: 1 }));
    expect(events[4]).toEqual(expect.objectContaining({ featured: true }));
    expect(events[5]).toEqual({ event: 'update', id: a.comment.id, deleted: true });
    // Ids rise, so a reader can resume after any of them.
    const seqs = s.events.map((e) => Number(e.id!.split('.')[1]));
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(seqs.length);
    // Nothing private in any frame.
    expect(JSON.stringify(s.events)).not.toMatch(/@example\.com|127\.0\.0\.1|ipHash|email/);
  });

  it('sends nothing for pending comments, nor when they are rejected, marked spam or deleted', async () => {
    const s = await stream();
    await configure(server, { moderation: 'all' });
    const held = await Promise.all([post(), post(), post()]);
    await act(server, { action: 'reject', ids: [held[0].comment.id] });
    await act(server, { action: 'spam', ids: [held[1].comment.id] });
    await call(server, 'DELETE', `/api/v1/comments/${held[2].comment.id}`, { token: held[2].editToken });
    await settled();
    await configure(server, { moderation: 'none' });
    const marker = await post();
    const events = await s.waitFor(1);
    await settled();
    expect(s.events.map((e) => JSON.parse(e.data).id)).toEqual([marker.comment.id]);
    expect(events[0].event).toBe('comment');
  });

  it('sends nothing from another page or another site', async () => {
    await call(server, 'POST', '/api/v1/sites', { token: server.ownerToken, body: { id: 'other', name: 'Other' } });
    await configure(server, { ...fastPosting, moderation: 'none', origins: [server.baseUrl] }, 'other');
    const s = await stream('/post');
    const otherSite = await stream('/post', {}, 'other');
    await post({ page: '/elsewhere' });
    await post({ page: '/post' }, 'other');
    await settled();
    const mine = await post({ page: '/post' });
    await s.waitFor(1);
    await otherSite.waitFor(1);
    await settled();
    expect(s.events.map((e) => JSON.parse(e.data).id)).toEqual([mine.comment.id]);
    expect(otherSite.events).toHaveLength(1);
    expect(JSON.parse(otherSite.events[0].data).id).not.toBe(mine.comment.id);
  });

  it('resumes after a dropped connection with Last-Event-ID (header or lastEventId), replaying only what was missed', async () => {
    const first = await stream();
    const a = await post();
    const [seen] = await first.waitFor(1);
    first.close();
    await first.ended;
    const b = await post();
    const c = await post({ page: '/elsewhere' });
    const d = await post();
    await settled();
    const again = await stream('/post', { 'last-event-id': seen.id! });
    const replayed = await again.waitFor(2);
    expect(replayed.map((e) => JSON.parse(e.data).id)).toEqual([b.comment.id, d.comment.id]);
    const e = await post();
    expect((await again.waitFor(3)).map((x) => JSON.parse(x.data).id)).toEqual([b.comment.id, d.comment.id, e.comment.id]);
    // A new EventSource cannot set the header: the query parameter does the same.
    const viaQuery = await openStream(`${server.baseUrl}/api/v1/sites/demo/stream?page=/post&lastEventId=${encodeURIComponent(seen.id!)}`);
    streams.push(viaQuery);
    expect((await viaQuery.waitFor(3)).map((x) => JSON.parse(x.data).id)).toEqual([b.comment.id, d.comment.id, e.comment.id]);
    expect([a, c].map((x) => x.comment.id)).not.toContain(JSON.parse(viaQuery.events[0].data).id);
  });

  it('tells a reader with an id from another run (or too old) to reload, and ignores an id that is not one', async () => {
    const stale = await stream('/post', { 'last-event-id': 'zzzz.5' });
    const [reset] = await stale.waitFor(1);
    expect(reset.event).toBe('reset');
    const junk = await stream('/post', { 'last-event-id': "1' OR '1'='1" });
    const c = await post();
    const [first] = await junk.waitFor(1);
    expect(JSON.parse(first.data).id).toBe(c.comment.id);
  });

  it('refuses an unknown site, a missing or too long page, naming the field', async () => {
    const none = await openStream(`${server.baseUrl}/api/v1/sites/nope/stream?page=/post`);
    expect(none.status).toBe(404);
    const missing = await openStream(`${server.baseUrl}/api/v1/sites/demo/stream`);
    expect(missing.status).toBe(400);
    expect(missing.headers['content-type']).toMatch(/problem\+json/);
    await missing.ended;
    expect(JSON.parse(missing.body).errors[0].path).toBe('page');
    const long = await openStream(`${server.baseUrl}/api/v1/sites/demo/stream?page=${'x'.repeat(600)}`);
    expect(long.status).toBe(400);
  });

  it('streams to an HTTP/1.0 reader without chunk framing, and closes its connection at the end', async () => {
    const { port } = new URL(server.baseUrl);
    const socket = net.connect(Number(port), '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d.toString('latin1')));
    const closed = new Promise((r) => socket.on('close', r));
    socket.write('GET /api/v1/sites/demo/stream?page=%2Fpost HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
    };
    await until(() => text.includes('retry: 3000'));
    const c = await post();
    await until(() => text.includes(c.comment.id));
    const body = text.slice(text.indexOf('\r\n\r\n') + 4);
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(body).toMatch(new RegExp(`^retry: 3000\\n\\nid: [0-9a-z]+\\.\\d+\\nevent: comment\\ndata: \\{"id":"${c.comment.id}"`));
    server.closeStreams();
    await closed;
  });

  it("answers CORS for the site's origins only", async () => {
    await configure(server, { origins: ['https://blog.example'] });
    const ok = await stream('/post', { origin: 'https://blog.example' });
    expect(ok.headers['access-control-allow-origin']).toBe('https://blog.example');
    const other = await stream('/post', { origin: 'https://evil.example' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('stream limits and heartbeat', () => {
  it('sends a heartbeat comment on an idle stream', async () => {
    await start({ streamHeartbeatMs: 100 });
    const s = await stream();
    await new Promise((r) => setTimeout(r, 350));
    expect(s.comments.filter((c) => c === 'heartbeat').length).toBeGreaterThanOrEqual(2);
  });

  it('caps open streams per address with 429, and frees the place when one closes', async () => {
    await start({ env: { STREAMS_PER_IP: '2' } });
    const one = await stream();
    await stream();
    const third = await stream();
    expect(third.status).toBe(429);
    await third.ended;
    expect(JSON.parse(third.body)).toEqual(expect.objectContaining({ status: 429, detail: expect.stringMatching(/2 live streams/) }));
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    one.close();
    await one.ended;
    await new Promise((r) => setTimeout(r, 50));
    expect((await stream()).status).toBe(200);
  });

  it('caps open streams in total (STREAMS_MAX), whatever the address', async () => {
    await start({ env: { STREAMS_MAX: '2', STREAMS_PER_IP: '100' } });
    await stream();
    await stream();
    const over = await stream();
    expect(over.status).toBe(429);
    expect(server.openStreams()).toBe(2);
  });

  it('keeps a bounded ring of events: an id older than the ring gets a reset, a recent one its successors', async () => {
    await start();
    const live = new LiveUpdates({ events: server.services.events, repos: server.repos }, { keep: 2 });
    const eventIds: string[] = [];
    live.listen((e) => eventIds.push(e.id));
    try {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await post()).comment.id);
      await live.settled();
      expect(eventIds).toHaveLength(3);
      // The ring holds the last two: resuming after the first gets both, from before the first is too old.
      const after1 = live.since('demo', '/post', eventIds[0]) as { events: { comment: { id: string } }[] };
      expect(after1.events.map((e) => e.comment.id)).toEqual([ids[1], ids[2]]);
      const before1 = eventIds[0].replace(/\.\d+$/, '.0');
      expect(live.since('demo', '/post', before1)).toEqual({ reset: true });
      expect(live.since('demo', '/other', eventIds[0])).toEqual({ events: [] });
      expect(live.since('demo', '/post', 'not-an-id')).toBeNull();
    } finally {
      live.close();
    }
  });

  it('closing the streams (what shutdown does first) ends every open one and refuses new ones with 503', async () => {
    await start();
    const s = await stream();
    server.closeStreams();
    await s.ended;
    const refused = await openStream(`${server.baseUrl}/api/v1/sites/demo/stream?page=/post`);
    await refused.ended;
    expect(refused.status).toBe(503);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    expect(JSON.parse(refused.body).status).toBe(503);
  });
});
