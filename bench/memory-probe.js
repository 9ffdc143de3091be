// Preloaded into the server by `npm run bench:stream` (node --expose-gc -r bench/memory-probe.js): on SIGUSR2 it
// runs full garbage collections and writes the process's memory to BENCH_PROBE_FILE, so the benchmark can read what
// the server keeps, not what it has yet to collect. Not part of the service.
'use strict';
const fs = require('node:fs');

const file = process.env.BENCH_PROBE_FILE;
if (file && typeof global.gc === 'function') {
  process.on('SIGUSR2', () => {
    // Twice: the first collection's finalisers can free more for the second.
    global.gc();
    global.gc();
    // A turn of the loop so freed native memory (sockets' buffers, parsers) is given back before reading.
    setTimeout(() => {
      global.gc();
      const m = process.memoryUsage();
      fs.writeFileSync(`${file}.tmp`, JSON.stringify(m));
      fs.renameSync(`${file}.tmp`, file);
    }, 200);
  });
}
