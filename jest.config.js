/** @type {import('jest').Config} */
const common = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': 'ts-jest' },
};

// Every test runs on SQLite; the HTTP tests that start the app in-process run again on PostgreSQL, each server in
// its own schema of TEST_DATABASE_URL (test/helpers/server.ts). MARGINALIA_TEST_STORES=sqlite runs SQLite only.
const stores = (process.env.MARGINALIA_TEST_STORES ?? 'sqlite,postgres').split(',');
const projects = [{ ...common, displayName: 'sqlite', testMatch: ['**/*.test.ts'] }];
if (stores.includes('postgres'))
  projects.push({
    ...common,
    displayName: 'postgres',
    testMatch: ['<rootDir>/test/http/**/*.test.ts'],
    // These start the built server as a process (SQLite in DATA_DIR; test/replicas runs processes on PostgreSQL), or
    // read the SQLite file's bytes (test/store/postgres-privacy.test.ts looks at PostgreSQL's rows instead).
    testPathIgnorePatterns: ['/first-start\\.test\\.ts$', '/moderation-cli\\.test\\.ts$', '/shutdown\\.test\\.ts$', '/privacy\\.test\\.ts$'],
    setupFiles: ['<rootDir>/test/helpers/postgres-project.ts'],
  });

module.exports = {
  projects,
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  // Browser tests share one Chromium per file; two workers fit the 2-core machine.
  maxWorkers: 2,
};
