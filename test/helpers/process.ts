// For tests that run the built server as `npm start` does: its entry point, a free port, waiting until it answers.
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { projectRoot } from '../../src/paths';

export const main = path.join(projectRoot, 'dist/src/main.js');
/** What `npm start` runs: execs node on `main` with the memory settings (docs/memory.md). */
export const startScript = path.join(projectRoot, 'scripts/start.sh');

/** Builds the server when dist/ has none (`npm test` builds it first). */
export function ensureBuilt(): void {
  if (!fs.existsSync(main)) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: projectRoot });
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export async function waitForHealth(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error('server exited early');
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not become healthy');
}

export const cliEntry = path.join(projectRoot, 'dist/src/cli/index.js');

/** Newest modification time of any file under dir. */
function newest(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
    const p = path.join(dir, e.name);
    return Math.max(max, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }, 0);
}

/** The CLI and server under test are the built ones: builds when dist is missing or older than the sources. */
export function ensureBuiltCurrent(): void {
  const built = fs.existsSync(cliEntry) && fs.existsSync(main) ? Math.min(fs.statSync(cliEntry).mtimeMs, fs.statSync(main).mtimeMs) : 0;
  if (built < newest(path.join(projectRoot, 'src'))) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: projectRoot, stdio: 'pipe', timeout: 120_000 });
}

/**
 * Runs the built CLI to the end (bounded) on a data directory, with this process's environment minus what would
 * point it elsewhere; `extra` adds variables (DATABASE_URL for PostgreSQL).
 */
export function runCli(args: string[], opts: { dataDir: string; extra?: NodeJS.ProcessEnv; timeoutMs?: number }) {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: opts.dataDir, LOG_LEVEL: 'silent', ...opts.extra };
  delete env.DATABASE_PATH;
  delete env.SECRET_KEY;
  delete env.PORT;
  const r = spawnSync(process.execPath, [cliEntry, ...args], { cwd: projectRoot, env, encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
