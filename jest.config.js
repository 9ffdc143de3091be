/** @type {import('jest').Config} */
const { spawnSync } = require('node:child_process');

const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': 'ts-jest' },
};

function answers(url, defaultPort) {
  const u = new URL(url);
  const probe = `require('net').connect(${Number(u.port || defaultPort)}, ${JSON.stringify(u.hostname)})
    .on('connect', () => process.exit(0)).on('error', () => process.exit(1))`;
  return spawnSync(process.execPath, ['-e', probe], { timeout: 3000 }).status === 0;
}

// Every test runs on SQLite. When PostgreSQL and Redis answer (TEST_DATABASE_URL, TEST_REDIS_URL; .ci/run makes
// sure they do), the store, Redis and replica tests run too, and the HTTP tests that start the app in-process run
// again on PostgreSQL, each server in its own schema (test/helpers/server.ts). MARGINALIA_TEST_STORES=sqlite
// (or sqlite,postgres) decides instead of the probe. Set here, it reaches the test workers.
if (!process.env.MARGINALIA_TEST_STORES) {
  const pgUrl = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const redisUrl = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
  const both = answers(pgUrl, 5432) && answers(redisUrl, 6379);
  if (!both) console.warn('PostgreSQL or Redis does not answer: running the tests on SQLite only.');
  process.env.MARGINALIA_TEST_STORES = both ? 'sqlite,postgres' : 'sqlite';
}
const withPostgres = process.env.MARGINALIA_TEST_STORES.split(',').includes('postgres');

const projects = [
  {
    ...common,
    displayName: 'sqlite',
    testMatch: ['**/*.test.ts'],
    testPathIgnorePatterns: withPostgres ? [] : ['/test/store/postgres\\.test\\.ts$', '/test/store/postgres-outbox\\.test\\.ts$', '/test/store/postgres-transfer\\.test\\.ts$', '/test/store/redis\\.test\\.ts$', '/test/store/redis-outage\\.test\\.ts$', '/test/replicas/'],
  },
];
if (withPostgres)
  projects.push({
    ...common,
    displayName: 'postgres',
    testMatch: ['<rootDir>/test/http/**/*.test.ts', '<rootDir>/test/import/**/*.test.ts'],
    // These start the built server as a process (SQLite in DATA_DIR; test/replicas runs processes on PostgreSQL), or
    // read the SQLite file's bytes (test/store/postgres.test.ts looks at PostgreSQL's rows instead).
    testPathIgnorePatterns: [
      '/first-start\\.test\\.ts$', '/moderation-cli\\.test\\.ts$', '/shutdown\\.test\\.ts$', '/answer-cache-memory\\.test\\.ts$', '/privacy\\.test\\.ts$',
      '/notify-crash\\.test\\.ts$', '/test/import/cli\\.test\\.ts$',
      // A unit test of the renderer, with no store in it.
      '/test/import/render-fast-path\\.test\\.ts$',
    ],
    setupFiles: ['<rootDir>/test/helpers/postgres-project.ts'],
  });

module.exports = {
  projects,
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  // Browser tests share one Chromium per file; two workers fit the 2-core machine.
  maxWorkers: 2,
};
