// What `npm start` prints: on a terminal, readable lines and, on first start only, a banner saying where to go;
// elsewhere JSON lines, the first start's facts in one of them. Never the owner token, an address or an e-mail.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, freePort, main, waitForHealth } from '../helpers/process';

beforeAll(ensureBuilt, 60_000);

let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-first-start-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

interface Run {
  output: string;
  token: string;
}

/**
 * Starts the server (on a pseudo-terminal through util-linux `script` when `tty`), posts a comment with an e-mail
 * and calls the API with a bearer token, then stops it and returns everything it printed.
 */
async function run(tty: boolean): Promise<Run> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', TRUST_PROXY: 'true' };
  delete env.PUBLIC_URL; // the banner shows the default address
  // `exec` makes the server the direct child of `script`, so it can be stopped by its own pid below.
  const child: ChildProcess = tty
    ? spawn('script', ['-qefc', `exec '${process.execPath}' '${main}'`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const server = () => (tty ? Number(fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim()) : child.pid!);
  try {
    await waitForHealth(port, child);
    const token = fs.readFileSync(path.join(dataDir, 'owner-token'), 'utf8').trim();
    const base = `http://127.0.0.1:${port}`;
    await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '203.0.113.9' } });
    await fetch(`${base}/api/v1/sites/demo/comments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base, 'x-forwarded-for': '203.0.113.9' },
      body: JSON.stringify({ page: '/', name: 'Ada', email: 'ada.private@example.com', body: 'Hello' }),
    });
    await fetch(`${base}/api/v1/sites/demo/moderation/comments?email=ada.private%40example.com`, { headers: { authorization: `Bearer ${token}` } });
    process.kill(server(), 'SIGTERM');
    await exited;
    return { output, token };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

function expectNothingPrivate({ output, token }: Run): void {
  expect(output).not.toContain(token);
  expect(output).not.toContain('203.0.113.9');
  expect(output).not.toContain('127.0.0.1');
  expect(output).not.toContain('ada.private');
}

const BANNER = /Demo page {4}http:\/\/localhost:\d+\/\r?\n {4}Console {6}http:\/\/localhost:\d+\/admin\r?\n {4}Owner token {2}in (\S+) \(sign in/;

describe('on a terminal', () => {
  it('prints readable lines and, on first start only, a banner with the demo page, the console and the token file', async () => {
    const first = await run(true);
    expect(first.output).not.toMatch(/\{"level"/);
    expect(first.output).toMatch(/\d\d:\d\d:\d\d\] .*INFO.*Marginalia is listening/);
    expect(first.output).toMatch(/GET \/api\/v1\/me 200 [\d.]+ ms/);
    expect(first.output).toMatch(/POST \/api\/v1\/sites\/demo\/comments 201 [\d.]+ ms/);
    expect(first.output.match(new RegExp(BANNER, 'g'))).toHaveLength(1);
    // The file as the server's working directory sees it (./data/owner-token under the defaults).
    expect(path.resolve(process.cwd(), BANNER.exec(first.output)![1])).toBe(path.join(dataDir, 'owner-token'));
    expectNothingPrivate(first);

    const second = await run(true);
    expect(second.output).toContain('Marginalia is listening');
    expect(second.output).not.toMatch(/Demo page|Owner token|first start/i);
    expectNothingPrivate(second);
  });
});

describe('elsewhere (a pipe)', () => {
  it('prints only JSON lines; the first start says where the token file is in one of them, the second does not', async () => {
    const first = await run(false);
    const lines = first.output.trim().split('\n');
    const records = lines.map((l) => JSON.parse(l));
    expect(records.find((r) => r.msg === 'request' && r.path === '/api/v1/me')).toMatchObject({ method: 'GET', status: 200 });
    const announced = records.filter((r) => /^first start/.test(r.msg));
    expect(announced).toEqual([
      expect.objectContaining({ level: 30, demoPage: expect.stringMatching(/^http:\/\/localhost:\d+\/$/), console: expect.stringMatching(/\/admin$/), ownerTokenFile: path.join(dataDir, 'owner-token') }),
    ]);
    expectNothingPrivate(first);

    const second = await run(false);
    expect(second.output.trim().split('\n').map((l) => JSON.parse(l).msg)).not.toContainEqual(expect.stringMatching(/^first start/));
    expectNothingPrivate(second);
  });
});
