// Entry point: config → secret → database (migrated) → first-start setup → HTTP server; graceful shutdown on signals.
import type { Server } from 'node:http';
import { loadConfig, ConfigError } from './config';
import { createLogger, terminalDestination } from './log';
import { openConfiguredStore, describeStore, MigrationError } from './store';
import { deriveKeys, Privacy } from './domain/privacy';
import { buildApp } from './app';
import { announceFirstStart, bootstrap, loadOrCreateSecretKey } from './bootstrap';
import { openSharedState } from './shared-state';

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      process.exit(1);
    }
    throw err;
  }
  // A person at a terminal reads lines; everything else (pipes, files, containers) gets JSON lines.
  const logger = createLogger(config.logLevel, process.stdout.isTTY ? terminalDestination() : undefined);
  let repos;
  try {
    repos = await openConfiguredStore(config);
  } catch (err) {
    if (err instanceof MigrationError) {
      logger.fatal(err.message);
      process.exit(1);
    }
    throw err;
  }
  const shared = await openSharedState(config, logger);
  logger.info({ ...describeStore(config), sharedState: shared.sharedState }, 'store opened');
  const privacy = new Privacy(deriveKeys(loadOrCreateSecretKey(config, logger)));
  const app = buildApp({ config, logger, repos, privacy, ...shared });
  const firstStart = await bootstrap(config, app.services);

  const server: Server = app.listen(config.port, config.host, () => {
    logger.info({ url: config.publicUrl, port: config.port }, 'Marginalia is listening');
    if (firstStart) announceFirstStart(firstStart, config.publicUrl, process.stdout, logger);
  });
  void app.notifier?.start().catch((err) => logger.error({ err }, 'notifications: the outbox worker did not start'));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    app.drain();
    // Live streams never finish by themselves: end them (readers reconnect elsewhere or later).
    app.streams.close();
    // Stop accepting; idle keep-alive sockets close now, busy ones as soon as their response is done.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    server.close(() => {
      clearInterval(sweep);
      void Promise.resolve(app.notifier?.stop())
        .then(() => Promise.all([repos.close(), shared.close()]))
        .then(() => {
          logger.info('stopped');
          process.exit(0);
        });
    });
    server.closeIdleConnections();
    setTimeout(() => {
      logger.warn('in-flight requests did not finish in time; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`Marginalia failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
