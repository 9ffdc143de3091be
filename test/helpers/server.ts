// Starts the real app on 127.0.0.1 with an ephemeral port over a SQLite file in a temp DATA_DIR, or (in the
// postgres jest project) over a fresh PostgreSQL schema of its own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { openConfiguredStore } from '../../src/store';
import { freshSchema, testStore, type TestSchema } from './stores';
import { deriveKeys, Privacy } from '../../src/domain/privacy';
import { buildApp, type App, type Services } from '../../src/app';
import { bootstrap, loadOrCreateSecretKey } from '../../src/bootstrap';
import { openSharedState } from '../../src/shared-state';
import type { Repositories } from '../../src/domain/ports';
import type { Notifier, RetryPolicy } from '../../src/domain/notify/worker';

export interface TestServer {
  baseUrl: string;
  ownerToken: string;
  dataDir: string;
  /** The PostgreSQL URL (with the server's own schema) when the server runs on PostgreSQL; else null. */
  databaseUrl: string | null;
  /** Every log line the server wrote, as JSON text. */
  logs: string[];
  services: Services;
  /** The app's answer cache, for tests that tell a hit from a miss. */
  cache: ReturnType<typeof buildApp>['cache'];
  repos: Repositories;
  app: App;
  /** Ends every live stream, as shutdown does first. */
  closeStreams(): void;
  /** How many live streams are open. */
  openStreams(): number;
  /** The outbox worker; started only with `notifier: 'auto'`, else driven by the test with runOnce(now). */
  notifier: Notifier;
  stop(): Promise<void>;
}

export async function startTestServer(
  options: {
    env?: Record<string, string>;
    /** Parent of the temp DATA_DIR. */ under?: string;
    streamHeartbeatMs?: number;
    notifier?: 'manual' | 'auto';
    retry?: RetryPolicy;
  } = {},
): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(options.under ?? os.tmpdir(), 'marginalia-test-'));
  let schema: TestSchema | null = null;
  const storeEnv: Record<string, string> = {};
  if (testStore === 'postgres' && !options.env?.DATABASE_URL) {
    schema = await freshSchema();
    storeEnv.DATABASE_URL = schema.url;
    storeEnv.DATABASE_POOL_SIZE = '4';
  }
  // The overload guard is off unless a test asks for it: this loop also runs the test's own synchronous work.
  const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', OVERLOAD_LAG_MS: '0', ...storeEnv, ...options.env });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const repos = await openConfiguredStore(config);
  const privacy = new Privacy(deriveKeys(loadOrCreateSecretKey(config)));
  const shared = await openSharedState(config, logger);
  const app = buildApp({ config, logger, repos, privacy, ...shared, streamHeartbeatMs: options.streamHeartbeatMs, notifier: { retry: options.retry } });
  if (options.notifier === 'auto') await app.notifier!.start();
  await bootstrap(config, app.services);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  // config.dataDir: a test may point DATA_DIR at a database it prepared.
  const ownerToken = fs.readFileSync(path.join(config.dataDir, 'owner-token'), 'utf8').trim();
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    ownerToken,
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl ?? null,
    logs,
    services: app.services,
    cache: app.cache,
    repos,
    app,
    notifier: app.notifier!,
    closeStreams: () => app.streams.close(),
    openStreams: () => app.streams.size,
    async stop() {
      app.streams.close();
      await app.notifier?.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await repos.close();
      await shared.close();
      await schema?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}
