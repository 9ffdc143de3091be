// The built `marginalia` CLI: import with --dry-run and --create-site, progress lines off a terminal, a summary,
// a second run that imports nothing, export and import json, erase; one clear line and a non-zero exit on failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixture } from '../helpers/imports';
import { ensureBuiltCurrent, runCli } from '../helpers/process';

jest.setTimeout(90_000);

let dataDir: string;

function cli(...args: string[]) {
  return runCli(args, { dataDir });
}


beforeAll(ensureBuiltCurrent, 150_000);
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-import-cli-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

it('imports a Disqus export: the site only with --create-site, a dry run first, then the summary; again imports 0', () => {
  const missing = cli('import', 'disqus', fixture('disqus.xml'), '--site', 'blog');
  expect(missing.code).toBe(1);
  expect(missing.stderr.trim()).toBe('error: Site blog does not exist; add --create-site to create it.');

  const dry = cli('import', 'disqus', fixture('disqus.xml'), '--site', 'blog', '--create-site', '--dry-run');
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain('dry run, nothing changed: would import 10 comments from disqus into site blog, 3 new pages');
  expect(cli('site', 'list').stdout).not.toContain('"blog"');

  const real = cli('import', 'disqus', fixture('disqus.xml'), '--site', 'blog', '--create-site');
  expect(real.code).toBe(0);
  expect(real.stdout.split('\n').slice(0, 5)).toEqual([
    'imported 10 comments from disqus into site blog (created), 3 new pages',
    'skipped as already there: 0',
    'skipped by kind: none',
    'warnings: 1',
    '  post 9009: its parent 8888 is not in the file: imported as a top-level comment',
  ]);
  // Off a terminal, progress is plain lines on stderr.
  expect(real.stderr).toMatch(/^reading \d+%$/m);
  expect(real.stderr).toMatch(/^writing 100% \(10 of 10\)$/m);
  expect(real.stderr).not.toContain('\r');

  const again = cli('import', 'disqus', fixture('disqus.xml'), '--site', 'blog');
  expect(again.stdout).toContain('imported 0 comments from disqus into site blog, 0 new pages');
  expect(again.stdout).toContain('skipped as already there: 10');
});

it('a file that is not well-formed fails with one line naming where', () => {
  const broken = path.join(dataDir, 'broken.xml');
  fs.writeFileSync(broken, fs.readFileSync(fixture('disqus.xml'), 'utf8').slice(0, 3000));
  const r = cli('import', 'disqus', broken, '--site', 'blog', '--create-site');
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n').pop()).toMatch(/^error: line \d+, column \d+: the XML is not well-formed: /);
  expect(cli('site', 'list').stdout).not.toContain('"blog"');
});

it('export, then import json into an empty database, then export again gives the same file', () => {
  cli('import', 'disqus', fixture('disqus.xml'), '--site', 'blog', '--create-site');
  const first = path.join(os.tmpdir(), `export-${process.pid}-1.json`);
  const second = path.join(os.tmpdir(), `export-${process.pid}-2.json`);
  try {
    expect(cli('export', first).stdout).toBe(`exported every site to ${first}\n`);
    expect(fs.statSync(first).mode & 0o777).toBe(0o600);
    const oldDir = dataDir;
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-import-cli-'));
    const imported = cli('import', 'json', first);
    expect(imported.stdout).toContain('imported 10 comments into site blog (created), 3 new pages');
    cli('export', second);
    const strip = (f: string) => fs.readFileSync(f, 'utf8').replace(/"exportedAt":"[^"]+"/, '');
    expect(strip(second)).toBe(strip(first));
    fs.rmSync(oldDir, { recursive: true, force: true });
  } finally {
    fs.rmSync(first, { force: true });
    fs.rmSync(second, { force: true });
  }
});

it('erase --site --email says how many comments it erased', () => {
  cli('import', 'disqus', fixture('disqus.xml'), '--site', 'blog', '--create-site');
  expect(cli('erase', '--site', 'blog', '--email', 'ADA@example.com').stdout).toBe('erased 1 comment on site blog\n');
  expect(cli('erase', '--site', 'blog', '--email', 'ada@example.com').stdout).toBe('erased 0 comments on site blog\n');
  const bad = cli('erase', '--site', 'blog', '--email', 'not-an-address');
  expect(bad.code).toBe(1);
  expect(bad.stderr.trim()).toBe('error: email: must be an e-mail address');
});
