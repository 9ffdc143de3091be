// When Redis stops answering: reads go on from the database, writes that need a shared counter or lock are refused
// with 503 (never let through uncounted), and everything works again once Redis is back.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/process';
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { expectProblem } from '../helpers/moderation';

let dir: string;
let port: number;
let redis: ChildProcess;
let server: TestServer;

async function startRedis(): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = require('node:net').connect(port, '127.0.0.1');
      s.on('connect', () => (s.destroy(), resolve(true))).on('error', () => resolve(false));
    });
    if (up) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

async function stopRedis(): Promise<void> {
  if (redis.exitCode !== null) return;
  const exited = new Promise((r) => redis.once('exit', r));
  redis.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-redis-'));
  port = await freePort();
  redis = await startRedis();
  server = await startTestServer({ env: { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_PREFIX: 'outage:' } });
  await configure(server, { ...fastPosting, moderation: 'none' });
});

afterAll(async () => {
  await server?.stop();
  await stopRedis();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a Redis outage', () => {
  it('keeps reads going, refuses posts with 503 and Retry-After, and recovers when Redis is back', async () => {
    const first = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page: '/outage' }) });
    expect(first.status).toBe(201);
    await stopRedis();

    const read = await call(server, 'GET', '/api/v1/sites/demo/comments?page=%2Foutage');
    expect(read.status).toBe(200);
    expect(read.body.comments.map((c: { id: string }) => c.id)).toEqual([first.body.comment.id]);
    const refused = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page: '/outage' }) });
    expectProblem(refused, 503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.body.type).toMatch(/shared-state-unavailable$/);
    expect((await call(server, 'GET', '/api/v1/sites/demo/comments?page=%2Foutage')).body.comments).toHaveLength(1);

    redis = await startRedis();
    let status = 0;
    for (let i = 0; i < 100 && status !== 201; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page: '/outage' }) })).status;
    }
    expect(status).toBe(201);
    expect((await call(server, 'GET', '/api/v1/sites/demo/comments?page=%2Foutage')).body.comments).toHaveLength(2);
  });
});
