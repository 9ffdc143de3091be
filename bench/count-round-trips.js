// Preloaded into the server by bench/round-trips.js (node --require): counts what the process sends to PostgreSQL
// (pg's queries, by statement name) and to Redis (ioredis's commands), and writes the tally to the file named by
// ROUND_TRIPS_FILE on SIGUSR2.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const tally = new Map();
const count = (key) => tally.set(key, (tally.get(key) ?? 0) + 1);
const fromApp = (id) => require(require.resolve(id, { paths: [path.join(__dirname, '..')] }));

const pg = fromApp('pg');
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, ...rest) {
  const name = typeof config === 'string' ? config.split(/\s/)[0] : config?.name ?? String(config?.text ?? '').split(/\s/)[0];
  count(`pg ${name}`);
  return query.call(this, config, ...rest);
};

const { Redis } = fromApp('ioredis');
const send = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (command, ...rest) {
  // A subscriber connection's incoming messages are not commands sent; SUBSCRIBE itself is.
  count(`redis ${String(command?.name ?? '?').toUpperCase()}`);
  return send.call(this, command, ...rest);
};

process.on('SIGUSR2', () => {
  fs.writeFileSync(process.env.ROUND_TRIPS_FILE, JSON.stringify(Object.fromEntries(tally)));
  tally.clear();
});
