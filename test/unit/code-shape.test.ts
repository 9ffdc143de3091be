// The shape of the code itself: the console's modules form no import cycle, and nothing unused is installed for it.
import fs from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '../..');

function localImports(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const deps = [...text.matchAll(/^import[^'"]*['"]\.\/([\w-]+)['"]/gm)].map((m) => `${m[1]}.ts`);
    graph.set(file, deps);
  }
  return graph;
}

function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === 'done') return null;
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'open');
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return null;
  };
  for (const n of graph.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return null;
}

test('the console modules import each other without a cycle', () => {
  const graph = localImports(path.join(root, 'admin/src'));
  expect(graph.size).toBeGreaterThan(3);
  expect(findCycle(graph)).toBeNull();
});

test('the widget modules import each other without a cycle', () => {
  expect(findCycle(localImports(path.join(root, 'embed/src')))).toBeNull();
});

test('the console build sets no JSX runtime and preact is not installed', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  expect({ ...pkg.dependencies, ...pkg.devDependencies }).not.toHaveProperty('preact');
  expect(fs.readFileSync(path.join(root, 'scripts/build-admin.js'), 'utf8')).not.toMatch(/jsx/i);
});
