// For tests that run the built server as `npm start` does: its entry point, a free port, waiting until it answers.
import { execFileSync, type ChildProcess } from 'node:child_process';
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
