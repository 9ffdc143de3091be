#!/usr/bin/env node
// The `marginalia` command: migrations, sites and tokens, by hand. Secrets are printed once, only when created.
import { Command, InvalidArgumentError } from 'commander';
import { ZodError } from 'zod';
import { loadConfig, ConfigError } from '../config';
import { openDatabase, migrate, openConfiguredStore, MigrationError } from '../store';
import { createPool, migratePostgres } from '../store/postgres';
import { deriveKeys, Privacy } from '../domain/privacy';
import { buildServices } from '../app';
import { loadOrCreateSecretKey } from '../bootstrap';
import { AppError } from '../domain/errors';
import { moderationPolicies, type SiteSettingsPatch } from '../domain/settings';
import type { NewSite } from '../domain/sites';
import { ImportError } from '../import/records';
import { addTransferCommands } from './transfer';

async function open() {
  const config = loadConfig();
  const repos = await openConfiguredStore(config);
  const privacy = new Privacy(deriveKeys(loadOrCreateSecretKey(config)));
  return { config, repos, services: buildServices({ repos, privacy }) };
}

const list = (v: string, prev: string[] = []) => [...prev, v];
const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be a whole number');
  return n;
};
const out = (rows: unknown) => process.stdout.write(JSON.stringify(rows, null, 2) + '\n');

export function buildCli(): Command {
  const program = new Command('marginalia').description('Marginalia: comments and moderation').showHelpAfterError();

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async () => {
      const config = loadConfig();
      let applied: string[];
      if (config.databaseUrl) {
        const pool = createPool(config.databaseUrl, 1);
        applied = await migratePostgres(pool).finally(() => pool.end());
      } else {
        const db = openDatabase(config.databasePath);
        applied = migrate(db);
        db.close();
      }
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
    });

  const site = program.command('site').description('manage sites');
  site
    .command('create <id>')
    .option('--name <name>', 'display name')
    .option('--origin <origin>', 'allowed origin (repeatable)', list)
    .option('--moderation <policy>', `one of ${moderationPolicies.join(', ')}`)
    .action(async (id: string, o: { name?: string; origin?: string[]; moderation?: string }) => {
      const { services, repos } = await open();
      // The same rules as the console's New site form: SiteService checks every field.
      const s = await services.sites.create({ id, name: o.name, origins: o.origin, moderation: o.moderation as NewSite['moderation'] }, Date.now());
      await repos.close();
      out({ id: s.id, name: s.name, settings: s.settings });
    });
  site.command('list').action(async () => {
    const { services, repos } = await open();
    const sites = await services.sites.list();
    await repos.close();
    out(sites.map((s) => ({ id: s.id, name: s.name, origins: s.settings.origins, moderation: s.settings.moderation })));
  });
  site
    .command('update <id>')
    .option('--name <name>', 'display name')
    .option('--origin <origin>', 'allowed origin (repeatable; replaces the list)', list)
    .option('--moderation <policy>', `one of ${moderationPolicies.join(', ')}`)
    .option('--max-links <n>', 'hold comments with this many links', int)
    .option('--blocked-word <word>', 'blocked word (repeatable; replaces the list)', list)
    .action(async (id: string, o: { name?: string; origin?: string[]; moderation?: string; maxLinks?: number; blockedWord?: string[] }) => {
      const { services, repos } = await open();
      const settings: SiteSettingsPatch = {};
      if (o.origin) settings.origins = o.origin;
      if (o.moderation) settings.moderation = o.moderation as SiteSettingsPatch['moderation'];
      if (o.maxLinks !== undefined) settings.maxLinks = o.maxLinks;
      if (o.blockedWord) settings.blockedWords = o.blockedWord;
      const s = await services.sites.update(id, { name: o.name, settings });
      await repos.close();
      out({ id: s.id, name: s.name, settings: s.settings });
    });

  const token = program.command('token').description('manage owner and moderator tokens');
  token
    .command('create')
    .requiredOption('--role <role>', 'owner or moderator')
    .option('--site <id>', 'limit the token to one site (default: every site)')
    .option('--label <label>', 'what the token is for', '')
    .action(async (o: { role: string; site?: string; label: string }) => {
      if (o.role !== 'owner' && o.role !== 'moderator') throw new InvalidArgumentError('--role must be owner or moderator');
      const { services, repos } = await open();
      const r = await services.access.createToken({ role: o.role, siteId: o.site ?? null, label: o.label }, Date.now());
      await repos.close();
      process.stderr.write(`created ${r.token.id} (${r.token.role}, ${r.token.siteId ?? 'all sites'}); the token is shown once:\n`);
      process.stdout.write(r.secret + '\n');
    });
  token
    .command('list')
    .option('--site <id>', 'only tokens of this site')
    .action(async (o: { site?: string }) => {
      const { repos } = await open();
      const tokens = await repos.tokens.list({ siteId: o.site ?? null });
      await repos.close();
      out(tokens.map((t) => ({ id: t.id, role: t.role, site: t.siteId, label: t.label, lastUsedAt: t.lastUsedAt, revoked: t.revokedAt !== null })));
    });
  token.command('revoke <id>').action(async (id: string) => {
    const { repos } = await open();
    const done = await repos.tokens.revoke(id, Date.now());
    await repos.close();
    if (!done) throw new AppError('not_found', 404, 'Not Found', `No live token ${id}.`);
    process.stdout.write(`revoked ${id}\n`);
  });

  program
    .command('backup <file>')
    .description('copy the database while the service runs (SQLite online backup)')
    .action(async (file: string) => {
      const config = loadConfig();
      if (config.databaseUrl)
        throw new InvalidArgumentError('backup copies the SQLite file; on PostgreSQL, use pg_dump (see docs/deploy.md)');
      const db = openDatabase(config.databasePath);
      await db.backup(file, {
        progress: ({ totalPages, remainingPages }) => {
          process.stderr.write(`\rbackup ${Math.round(((totalPages - remainingPages) / totalPages) * 100)}%`);
          return 200;
        },
      });
      db.close();
      process.stderr.write('\n');
      process.stdout.write(`backed up to ${file}\n`);
    });

  addTransferCommands(program, async () => {
    const { services, repos } = await open();
    return { services, close: () => repos.close() };
  });

  return program;
}

if (require.main === module || process.argv[1]?.endsWith('marginalia.js')) {
  buildCli()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      if (err instanceof ZodError) {
        for (const i of err.issues) process.stderr.write(`error: ${i.path.join('.') || 'value'}: ${i.message}\n`);
        process.exit(1);
      }
      if (err instanceof ConfigError || err instanceof MigrationError || err instanceof AppError || err instanceof InvalidArgumentError || err instanceof ImportError) {
        process.stderr.write(`error: ${(err as Error).message}\n`);
        process.exit(1);
      }
      throw err;
    });
}
