// Starts the real app on 127.0.0.1 with an ephemeral port over a SQLite file in a temp DATA_DIR.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { openStore } from '../../src/store';
import { deriveKeys, Privacy } from '../../src/domain/privacy';
import { buildApp, type Services } from '../../src/app';
import { bootstrap, loadOrCreateSecretKey } from '../../src/bootstrap';
import type { Repositories } from '../../src/domain/ports';
import type { Notifier, RetryPolicy } from '../../src/domain/notify/worker';

export interface TestServer {
  baseUrl: string;
  ownerToken: string;
  dataDir: string;
  /** Every log line the server wrote, as JSON text. */
  logs: string[];
  services: Services;
  repos: Repositories;
  /** The outbox worker; started only with `notifier: 'auto'`, else driven by the test with runOnce(now). */
  notifier: Notifier;
  stop(): Promise<void>;
}

export async function startTestServer(
  options: { env?: Record<string, string>; notifier?: 'manual' | 'auto'; retry?: RetryPolicy } = {},
): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marginalia-test-'));
  const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', ...options.env });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const repos = openStore(config.databasePath);
  const privacy = new Privacy(deriveKeys(loadOrCreateSecretKey(config)));
  const app = buildApp({ config, logger, repos, privacy, notifier: { retry: options.retry } });
  if (options.notifier === 'auto') await app.notifier!.start();
  await bootstrap(config, app.services);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const ownerToken = fs.readFileSync(path.join(dataDir, 'owner-token'), 'utf8').trim();
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    ownerToken,
    dataDir,
    logs,
    services: app.services,
    repos,
    notifier: app.notifier!,
    async stop() {
      await app.notifier!.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await repos.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
