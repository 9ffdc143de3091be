// The built `marginalia` CLI: sites and tokens by hand, and a CLI-made token working against a server on the same DATA_DIR.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { call } from '../helpers/api';
import { ensureBuiltCurrent } from '../helpers/process';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/src/cli/index.js');
const MAIN = path.join(ROOT, 'dist/src/main.js');

let dataDir: string;

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  delete e.DATABASE_PATH;
  delete e.SECRET_KEY;
  delete e.PORT;
  return e;
}

/** Runs the CLI to the end (bounded), returning its exit code and output. */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env: env(), encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const json = (r: { code: number | null; stdout: string; stderr: string }) => {
  if (r.code !== 0) throw new Error(`cli failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout);
};


beforeAll(ensureBuiltCurrent, 150_000);

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-cli-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('site commands', () => {
  it('creates a site with name, origins and policy, and refuses to create it twice', () => {
    const created = json(cli('site', 'create', 'blog', '--name', 'My Blog', '--origin', 'https://blog.example', '--origin', 'https://www.blog.example', '--moderation', 'all'));
    expect(created).toMatchObject({ id: 'blog', name: 'My Blog', settings: { origins: ['https://blog.example', 'https://www.blog.example'], moderation: 'all', maxLinks: 2 } });
    const again = cli('site', 'create', 'blog');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('refuses a bad site id, naming it, and creates nothing', () => {
    const badId = cli('site', 'create', 'Not_A_Slug');
    expect(badId.code).toBe(1);
    expect(badId.stderr).toMatch(/^error: id: /);
    expect(json(cli('site', 'list'))).toEqual([]);
  });

  it('names every invalid field at once, one line each, with the rules the console and the API use', () => {
    const r = cli('site', 'create', 'Bad Id', '--name', ' ', '--origin', 'https://ok.example', '--origin', 'blog.example', '--moderation', 'sometimes');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'error: id: must be 2–40 characters of a–z, 0–9 and -',
      'error: name: is required',
      'error: origins.1: must be an origin like https://blog.example (scheme, host and optional port, nothing else)',
      'error: moderation: must be one of all, first-time, none',
    ]);
    expect(json(cli('site', 'list'))).toEqual([]);
  });

  it.each([
    [['site', 'create', 'blog', '--origin', 'https://blog.example/path'], 'origins'],
    [['site', 'create', 'blog', '--moderation', 'sometimes'], 'moderation'],
    [['site', 'update', 'demo-site', '--max-links', '1000'], 'maxLinks'],
  ])('refuses an invalid setting (%j) with a one-line error naming %s, not a stack trace', (args, field) => {
    cli('site', 'create', 'demo-site');
    const r = cli(...args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).toContain(field);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(json(cli('site', 'list')).map((s: any) => s.id)).toEqual(['demo-site']);
  });

  it('lists sites', () => {
    cli('site', 'create', 'blog', '--origin', 'https://blog.example');
    cli('site', 'create', 'news', '--moderation', 'none');
    expect(json(cli('site', 'list'))).toEqual([
      { id: 'blog', name: 'blog', origins: ['https://blog.example'], moderation: 'first-time' },
      { id: 'news', name: 'news', origins: [], moderation: 'none' },
    ]);
  });

  it('updates only the settings it is given', () => {
    cli('site', 'create', 'blog', '--origin', 'https://blog.example');
    const updated = json(cli('site', 'update', 'blog', '--moderation', 'none', '--max-links', '4', '--blocked-word', 'casino', '--blocked-word', 'poker'));
    expect(updated.settings).toMatchObject({ origins: ['https://blog.example'], moderation: 'none', maxLinks: 4, blockedWords: ['casino', 'poker'] });
    const renamed = json(cli('site', 'update', 'blog', '--name', 'The Blog'));
    expect(renamed).toMatchObject({ name: 'The Blog', settings: { moderation: 'none', maxLinks: 4 } });
    const missing = cli('site', 'update', 'nope', '--moderation', 'all');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not found/i);
    const badNumber = cli('site', 'update', 'blog', '--max-links', 'many');
    expect(badNumber.code).not.toBe(0);
    expect(json(cli('site', 'list'))[0].moderation).toBe('none');
  });
});

describe('token commands', () => {
  beforeEach(() => {
    cli('site', 'create', 'blog');
  });

  it('creates a token, printing the secret once on stdout and never listing it', () => {
    const r = cli('token', 'create', '--role', 'moderator', '--site', 'blog', '--label', 'night shift');
    expect(r.code).toBe(0);
    const secret = r.stdout.trim();
    expect(secret).toMatch(/^mt_\S{40,}$/);
    expect(r.stderr).toMatch(/created \S+ \(moderator, blog\)/);
    const list = cli('token', 'list');
    expect(list.stdout).not.toContain(secret);
    expect(JSON.parse(list.stdout)).toEqual([
      { id: expect.any(String), role: 'moderator', site: 'blog', label: 'night shift', lastUsedAt: null, revoked: false },
    ]);
  });

  it('refuses a bad role or an unknown site', () => {
    const role = cli('token', 'create', '--role', 'admin');
    expect(role.code).toBe(1);
    expect(role.stderr).toMatch(/role/);
    const site = cli('token', 'create', '--role', 'owner', '--site', 'nowhere');
    expect(site.code).toBe(1);
    expect(json(cli('token', 'list'))).toEqual([]);
  });

  it('lists tokens, optionally of one site, and revokes one', () => {
    cli('site', 'create', 'news');
    cli('token', 'create', '--role', 'owner');
    cli('token', 'create', '--role', 'moderator', '--site', 'blog');
    cli('token', 'create', '--role', 'moderator', '--site', 'news');
    const all = json(cli('token', 'list'));
    expect(all.map((t: any) => [t.role, t.site])).toEqual([
      ['owner', null],
      ['moderator', 'blog'],
      ['moderator', 'news'],
    ]);
    expect(json(cli('token', 'list', '--site', 'blog')).map((t: any) => t.site)).toEqual(['blog']);
    const revoked = cli('token', 'revoke', all[1].id);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`revoked ${all[1].id}`);
    expect(json(cli('token', 'list')).map((t: any) => t.revoked)).toEqual([false, true, false]);
    const twice = cli('token', 'revoke', all[1].id);
    expect(twice.code).toBe(1);
    expect(cli('token', 'revoke', 'tok_nope').code).toBe(1);
  });
});

describe('a CLI-made token against a running server on the same DATA_DIR', () => {
  let child: ChildProcess | null = null;
  afterEach(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    child = null;
  });

  async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
  }

  async function startServer(): Promise<{ baseUrl: string }> {
    const port = await freePort();
    child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: { ...env(), PORT: String(port), HOST: '127.0.0.1' }, stdio: 'ignore' });
    const baseUrl = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${baseUrl}/healthz`)).ok) return { baseUrl };
      } catch {
        /* not listening yet */
      }
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('server did not start within 10 s');
  }

  it('authenticates with its role and scope, and stops at once when the CLI revokes it', async () => {
    cli('site', 'create', 'blog', '--moderation', 'all');
    cli('site', 'create', 'news');
    const made = cli('token', 'create', '--role', 'moderator', '--site', 'blog', '--label', 'cli');
    const secret = made.stdout.trim();
    const server = await startServer();

    const me = await call(server, 'GET', '/api/v1/me', { token: secret });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ token: { id: expect.any(String), role: 'moderator', site: 'blog', label: 'cli' }, sites: [{ id: 'blog', name: 'blog' }] });
    expect((await call(server, 'GET', '/api/v1/sites/blog/moderation/comments', { token: secret })).status).toBe(200);
    expect((await call(server, 'GET', '/api/v1/sites/news/moderation/comments', { token: secret })).status).toBe(404);
    expect((await call(server, 'GET', '/api/v1/sites/blog/settings', { token: secret })).status).toBe(403);
    expect(json(cli('token', 'list'))[0].lastUsedAt).toEqual(expect.any(Number));

    const revoked = cli('token', 'revoke', me.body.token.id);
    expect(revoked.code).toBe(0);
    const after = await call(server, 'GET', '/api/v1/me', { token: secret });
    expect(after.status).toBe(401);
    expect(after.headers.get('content-type')).toMatch(/problem\+json/);
  });

  it('an owner token made by the CLI changes settings the CLI then reads', async () => {
    cli('site', 'create', 'blog');
    const secret = cli('token', 'create', '--role', 'owner', '--site', 'blog').stdout.trim();
    const server = await startServer();
    const r = await call(server, 'PATCH', '/api/v1/sites/blog/settings', { token: secret, body: { moderation: 'none', maxLinks: 9 } });
    expect(r.status).toBe(200);
    // (The server's first start added site demo beside it.)
    expect(json(cli('site', 'list')).find((s: any) => s.id === 'blog')).toEqual({ id: 'blog', name: 'blog', origins: [], moderation: 'none' });
  });
});
