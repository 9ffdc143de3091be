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

/** Creates site `demo` and, with it, an owner token for every site, written once to DATA_DIR/owner-token. */
export async function bootstrap(config: Config, services: Services, logger: Logger): Promise<void> {
  const { created } = await services.sites.ensureDemo(Date.now());
  if (!created) return;
  const { secret } = await services.access.createToken({ role: 'owner', siteId: null, label: 'first start' }, Date.now());
  const file = path.join(config.dataDir, 'owner-token');
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  logger.info({ file }, 'created site "demo" and an owner token; the token is in this file');
}
