// Jest setup of the postgres project: test servers open PostgreSQL (a fresh schema each) instead of SQLite.
process.env.MARGINALIA_TEST_STORE = 'postgres';
