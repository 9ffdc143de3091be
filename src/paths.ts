// Where the service's own files are, whether it runs from src/ (tests) or dist/src/ (built).
import fs from 'node:fs';
import path from 'node:path';

function findRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + from);
    dir = up;
  }
  return dir;
}

export const projectRoot = findRoot(__dirname);
export const migrationsDir = path.join(projectRoot, 'migrations');
export const pgMigrationsDir = path.join(migrationsDir, 'postgres');
