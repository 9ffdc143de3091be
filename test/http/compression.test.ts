// Cached answers go out gzipped to clients that accept it, as stored bytes, with their own ETag and Vary.
import http from 'node:http';
import zlib from 'node:zlib';
import { startTestServer, type TestServer } from '../helpers/server';
import { commentInput, configure, fastPosting } from '../helpers/api';
import { post } from '../helpers/moderation';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'none' });
});
afterEach(() => server.stop());

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  bytes: Buffer;
}

/** A GET whose body is read as sent: fetch would inflate it and hide the encoding. */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.get(server.baseUrl + path, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

const threadPath = '/api/v1/sites/demo/comments?page=%2Fhot';

async function seed(n: number, page = '/hot') {
  for (let i = 0; i < n; i++) {
    const r = await post(server, commentInput({ page, body: `Comment ${i} with <b>markup</b> & "quotes", long enough to matter. `.repeat(3) }));
    expect(r.status).toBe(201);
  }
}

describe('compressed answers', () => {
  it('sends the thread gzipped when asked, the same JSON as the unencoded answer, with its own ETag', async () => {
    await seed(12);
    const plain = await rawGet(threadPath);
    const gz = await rawGet(threadPath, { 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(gz.status).toBe(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(Number(gz.headers['content-length'])).toBe(gz.bytes.length);
    expect(gz.bytes.length).toBeLessThan(plain.bytes.length / 3);
    expect(zlib.gunzipSync(gz.bytes).equals(plain.bytes)).toBe(true);
    expect(JSON.parse(plain.bytes.toString()).comments).toHaveLength(12);
    for (const r of [plain, gz]) expect(r.headers.vary).toBe('Origin, Accept-Encoding');
    expect(gz.headers.etag).toBeTruthy();
    expect(gz.headers.etag).not.toBe(plain.headers.etag);
  });

  it.each([
    ['', false],
    ['identity', false],
    ['gzip;q=0, identity', false],
    ['br, zstd', false],
    ['*;q=0', false],
    ['GZIP;q=0.5', true],
    ['br;q=1, *;q=0.1', true],
    ['x-gzip', true],
  ])('Accept-Encoding %j → gzipped: %s', async (header, gzipped) => {
    await seed(5);
    const r = await rawGet(threadPath, header ? { 'accept-encoding': header } : {});
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe(gzipped ? 'gzip' : undefined);
    const text = gzipped ? zlib.gunzipSync(r.bytes).toString() : r.bytes.toString();
    expect(JSON.parse(text).comments).toHaveLength(5);
  });

  it('revalidates with either variant\'s ETag, and a new comment changes both', async () => {
    await seed(5);
    const gz = await rawGet(threadPath, { 'accept-encoding': 'gzip' });
    const plain = await rawGet(threadPath);
    for (const etag of [gz.headers.etag!, plain.headers.etag!])
      for (const enc of ['gzip', 'identity']) {
        const r = await rawGet(threadPath, { 'accept-encoding': enc, 'if-none-match': etag });
        expect(r.status).toBe(304);
        expect(r.bytes.length).toBe(0);
      }
    // A made-up tag with the same shape is not a match.
    expect((await rawGet(threadPath, { 'accept-encoding': 'gzip', 'if-none-match': '"nothing-gz"' })).status).toBe(200);

    await seed(1);
    const gz2 = await rawGet(threadPath, { 'accept-encoding': 'gzip', 'if-none-match': gz.headers.etag! });
    expect(gz2.status).toBe(200);
    expect(gz2.headers.etag).not.toBe(gz.headers.etag);
    expect(JSON.parse(zlib.gunzipSync(gz2.bytes).toString()).comments).toHaveLength(6);
    expect((await rawGet(threadPath, { 'if-none-match': plain.headers.etag! })).status).toBe(200);
  });

  it('sends a small answer as it is, without varying on Accept-Encoding', async () => {
    await seed(1);
    const r = await rawGet('/api/v1/sites/demo/counts?page=%2Fhot', { 'accept-encoding': 'gzip' });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(String(r.headers.vary ?? '')).not.toMatch(/Accept-Encoding/);
    expect(JSON.parse(r.bytes.toString()).counts).toEqual({ '/hot': 1 });
  });

  it('gzips the Atom feed too', async () => {
    await seed(8);
    const r = await rawGet('/api/v1/sites/demo/feed.atom?page=%2Fhot', { 'accept-encoding': 'gzip' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/atom\+xml/);
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(r.bytes).toString()).toMatch(/^<\?xml[\s\S]*<\/feed>\s*$/);
  });
});
