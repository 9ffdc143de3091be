// First start: a secret key when none is configured, the demo site, and an owner token written to a 0600 file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config';
import type { Logger } from './log';
import type { Services } from './app';

/** SECRET_KEY from the environment, else the one generated into DATA_DIR on first start. */
export function loadOrCreateSecretKey(config: Config, logger?: Logger): string {
  if (config.secretKey) return config.secretKey;
  const file = path.join(config.dataDir, 'secret.key');
  fs.mkdirSync(config.dataDir, { recursive: true });
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = crypto.randomBytes(32).toString('base64');
  fs.writeFileSync(file, key + '\n', { mode: 0o600, flag: 'wx' });
  logger?.info({ file }, 'generated a secret key (keep this file; losing it makes stored e-mails unreadable)');
  return key;
}

export interface FirstStart {
  /** Where the owner token was written; the token itself is never logged or shown. */
  ownerTokenFile: string;
}

/**
 * Creates site `demo` and, with it, an owner token for every site, written once to DATA_DIR/owner-token.
 * Returns what the first start made, or null when the database already had site `demo`.
 */
export async function bootstrap(config: Config, services: Services): Promise<FirstStart | null> {
  const { created } = await services.sites.ensureDemo(Date.now());
  if (!created) return null;
  const { secret } = await services.access.createToken({ role: 'owner', siteId: null, label: 'first start' }, Date.now());
  const file = path.join(config.dataDir, 'owner-token');
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  return { ownerTokenFile: file };
}

/** The first start's "where to go next": the demo page, the console, and the file with the owner token. */
export function firstStartBanner(publicUrl: string, first: FirstStart, cwd = process.cwd()): string {
  const relative = path.relative(cwd, first.ownerTokenFile);
  const file = relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? `.${path.sep}${relative}` : first.ownerTokenFile;
  return [
    '',
    '  Marginalia is ready. First start: site "demo" and an owner token were created.',
    '',
    `    Demo page    ${publicUrl}/`,
    `    Console      ${publicUrl}/admin`,
    `    Owner token  in ${file} (sign in to the console with it)`,
    '',
    '',
  ].join('\n');
}

/** On a terminal, the banner; elsewhere the same facts as one JSON log line. */
export function announceFirstStart(
  first: FirstStart,
  publicUrl: string,
  out: { isTTY?: boolean; write(text: string): unknown },
  logger: Logger,
): void {
  if (out.isTTY) out.write(firstStartBanner(publicUrl, first));
  else
    logger.info(
      { demoPage: `${publicUrl}/`, console: `${publicUrl}/admin`, ownerTokenFile: first.ownerTokenFile },
      'first start: created site "demo" and an owner token (it is in ownerTokenFile, never in the log)',
    );
}
