-- PostgreSQL spreads each count over several rows so concurrent writers do not queue on one row lock
-- (migrations/postgres/0009_spread_counters.sql). SQLite has one writer at a time: nothing to change here; the
-- file keeps the migration sets of both stores alike.
SELECT 1;
