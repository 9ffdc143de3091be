// `npm start` runs scripts/start.sh: it must become the node server itself (same pid, so signals reach it), with
// the memory settings docs/memory.md measured, and stop cleanly on SIGTERM.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, freePort, startScript, waitForHealth } from '../helpers/process';
import { projectRoot } from '../../src/paths';

beforeAll(ensureBuilt, 60_000);

it('npm start is scripts/start.sh', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8'));
  expect(pkg.scripts.start).toBe('sh scripts/start.sh');
});

it('execs node with the memory settings in the same process and exits 0 on SIGTERM', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-start-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, NODE: process.execPath, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  delete env.MALLOC_ARENA_MAX;
  const child = spawn('/bin/sh', [startScript], { env, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitForHealth(port, child);
    // The shell's pid is now node's: the shell was replaced, not left as a parent.
    const argv = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(argv).toEqual([process.execPath, '--max-semi-space-size=2', '--max-old-space-size=512', `${projectRoot}/scripts/../dist/src/main.js`]);
    const environ = fs.readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0');
    expect(environ).toContain('MALLOC_ARENA_MAX=2');
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}, 30_000);
