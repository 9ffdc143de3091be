// The second process of `npm run bench:stream`: holds many live streams open on raw sockets and reports when each
// one receives an awaited comment. Driven by its parent over IPC.
'use strict';
const net = require('node:net');

const now = () => performance.timeOrigin + performance.now();
const sockets = [];
let awaited = null;

function open({ port, path, n }) {
  let opened = 0;
  let next = 0;
  const batch = () => {
    for (let k = 0; k < 200 && next < n; k++, next++) {
      const s = net.connect(port, '127.0.0.1');
      const state = { s, tail: '', ready: false, at: null };
      s.setNoDelay(true);
      s.on('connect', () => s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`));
      s.on('data', (chunk) => {
        const text = state.tail + chunk.toString('latin1');
        if (!state.ready && text.includes('retry: ')) {
          state.ready = true;
          if (++opened === n) process.send({ type: 'opened', count: opened });
          else if (opened % 200 === 0) batch();
        }
        if (awaited && state.at === null && text.includes(awaited.id)) {
          state.at = now();
          if (++awaited.got === sockets.length) finish();
        }
        state.tail = text.slice(-64);
      });
      s.on('error', () => {});
      sockets.push(state);
    }
  };
  batch();
}

function finish() {
  if (!awaited) return;
  clearTimeout(awaited.timer);
  const times = sockets.filter((x) => x.at !== null).map((x) => x.at);
  const missing = sockets.length - times.length;
  awaited = null;
  process.send({ type: 'arrivals', times, missing });
}

process.on('message', (m) => {
  if (m.type === 'open') open(m);
  else if (m.type === 'expect') {
    for (const x of sockets) x.at = null;
    awaited = { id: m.id, got: 0, timer: setTimeout(finish, m.timeoutMs) };
    process.send({ type: 'expecting' });
  } else if (m.type === 'close') {
    for (const x of sockets) x.s.destroy();
    process.exit(0);
  }
});
