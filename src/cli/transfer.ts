// The `marginalia import|export|erase` commands: parse the file with its format's reader, show progress, print a summary.
import fs from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import type { Services } from '../app';
import type { ImportProgress, ImportSummary } from '../domain/importer';
import type { JsonImportSummary } from '../domain/json-transfer';
import { readDisqus } from '../import/disqus';
import { readWordPress } from '../import/wordpress';
import { readIsso } from '../import/isso';
import { ImportError, type ReadProgress } from '../import/records';

export interface Opened {
  services: Services;
  close(): Promise<void>;
}

/** A bar on a terminal, a plain line every 10 % (and at each new phase) elsewhere. */
export function progressPrinter(out: { isTTY?: boolean; write(s: string): unknown }) {
  let lastPhase = '';
  let lastStep = -1;
  return {
    update(p: ImportProgress) {
      const pct = p.total ? Math.min(100, Math.floor((p.done / p.total) * 100)) : null;
      const label = p.phase === 'reading' ? 'reading' : p.phase === 'writing' ? 'writing' : p.phase;
      if (out.isTTY) {
        const width = 30;
        const filled = pct === null ? 0 : Math.round((pct / 100) * width);
        const bar = pct === null ? '' : `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}% `;
        out.write(`\r${bar}${label}${p.phase === 'writing' ? ` ${p.done}/${p.total}` : ''}\u001b[K`);
        if (p.phase === 'done') out.write('\n');
        return;
      }
      const step = pct === null ? 0 : Math.floor(pct / 10);
      if (p.phase !== lastPhase || step > lastStep) {
        out.write(`${label}${pct === null ? '' : ` ${pct}%`}${p.phase === 'writing' ? ` (${p.done} of ${p.total})` : ''}\n`);
        lastPhase = p.phase;
        lastStep = step;
      }
    },
  };
}

export function summaryLines(s: ImportSummary): string[] {
  const lines = [
    `${s.dryRun ? 'dry run, nothing changed: would import' : 'imported'} ${s.imported} comment${s.imported === 1 ? '' : 's'} from ${s.source} into site ${s.site}${s.siteCreated ? ' (created)' : ''}, ${s.newPages} new page${s.newPages === 1 ? '' : 's'}`,
    `skipped as already there: ${s.alreadyThere}`,
    `skipped by kind: ${Object.entries(s.skipped).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    `warnings: ${s.warningCount}`,
    ...s.warnings.map((w) => `  ${w}`),
  ];
  if (s.warningCount > s.warnings.length) lines.push(`  … and more`);
  return lines;
}

function jsonSummaryLines(s: JsonImportSummary): string[] {
  const lines: string[] = [];
  for (const site of s.sites) {
    lines.push(
      `${s.dryRun ? 'dry run, nothing changed: would import' : 'imported'} ${site.imported} comment${site.imported === 1 ? '' : 's'} into site ${site.site}${site.created ? ' (created)' : ''}, ${site.newPages} new page${site.newPages === 1 ? '' : 's'}`,
      `skipped as already there: ${site.alreadyThere}`,
      `warnings: ${site.warningCount}`,
      ...site.warnings.map((w) => `  ${w}`),
    );
  }
  return lines.length ? lines : ['the file holds no sites'];
}

const write = (lines: string[]) => process.stdout.write(lines.join('\n') + '\n');

export function addTransferCommands(program: Command, open: () => Promise<Opened>): void {
  const imp = program.command('import').description('import comments from another system or from an export');
  const common = (c: Command) =>
    c
      .requiredOption('--site <id>', 'the site to import into')
      .option('--dry-run', 'read and count, change nothing')
      .option('--create-site', 'create the site when it does not exist');

  for (const format of ['disqus', 'wordpress', 'isso'] as const) {
    common(imp.command(`${format} <file>`).description(`import a ${format === 'isso' ? 'Isso SQLite database' : format === 'disqus' ? 'Disqus XML export' : 'WordPress WXR export'}`)).action(
      async (file: string, o: { site: string; dryRun?: boolean; createSite?: boolean }) => {
        const size = statOrFail(file);
        const progress = progressPrinter(process.stderr);
        const onRead = (p: ReadProgress) => progress.update({ phase: 'reading', done: p.bytesRead, total: p.totalBytes });
        const opened = await open();
        try {
          // The site is checked before the file is read.
          await opened.services.importer.prepareSite(o.site, o.createSite === true);
          const records =
            format === 'isso'
              ? readIsso(file, onRead)
              : (format === 'disqus' ? readDisqus : readWordPress)(fs.createReadStream(file, { highWaterMark: 256 * 1024 }), onRead, size);
          const summary = await opened.services.importer.run(records, {
            siteId: o.site,
            source: format,
            dryRun: o.dryRun,
            createSite: o.createSite,
            onProgress: (p) => progress.update(p),
          });
          write(summaryLines(summary));
        } finally {
          await opened.close();
        }
      },
    );
  }

  imp
    .command('json <file>')
    .description('import a Marginalia export (adds the sites and comments the database lacks)')
    .option('--dry-run', 'read and count, change nothing')
    .action(async (file: string, o: { dryRun?: boolean }) => {
      statOrFail(file);
      const opened = await open();
      try {
        const progress = progressPrinter(process.stderr);
        const summary = await opened.services.json.import(fs.readFileSync(file, 'utf8'), { dryRun: o.dryRun, onProgress: (p) => progress.update(p) });
        write(jsonSummaryLines(summary));
      } finally {
        await opened.close();
      }
    });

  program
    .command('export <file>')
    .description('write every site (or one) to a Marginalia export file; e-mails are in it in clear')
    .option('--site <id>', 'only this site')
    .action(async (file: string, o: { site?: string }) => {
      const opened = await open();
      const tmp = `${file}.partial`;
      const out = fs.createWriteStream(tmp, { mode: 0o600 });
      try {
        await opened.services.json.export(async (chunk) => {
          if (!out.write(chunk)) await once(out, 'drain');
        }, { siteId: o.site });
        out.end();
        await once(out, 'finish');
        // Only a complete document takes the name.
        fs.renameSync(tmp, file);
        process.stdout.write(`exported ${o.site ? `site ${o.site}` : 'every site'} to ${file}\n`);
      } catch (err) {
        out.destroy();
        fs.rmSync(tmp, { force: true });
        throw err;
      } finally {
        await opened.close();
      }
    });

  program
    .command('erase')
    .description("erase a person's comments on a site for good: author, e-mail, website and body")
    .requiredOption('--site <id>', 'the site')
    .requiredOption('--email <email>', 'their e-mail address')
    .action(async (o: { site: string; email: string }) => {
      const opened = await open();
      try {
        const site = await opened.services.sites.get(o.site);
        const r = await opened.services.erasure.erase(site, o.email, null, Date.now());
        process.stdout.write(`erased ${r.erased} comment${r.erased === 1 ? '' : 's'} on site ${o.site}\n`);
      } finally {
        await opened.close();
      }
    });
}

function statOrFail(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    throw new ImportError(`cannot read ${file}`);
  }
}
