// Where a V8 .cpuprofile spent its time: self time grouped by what the code is (Markdown, sanitising, crypto,
// SQLite, validation, logging, framework, Node's HTTP, our own code, GC), then the busiest functions.
// Native calls (no script URL) count towards the library that made them.
// Usage: node bench/profile-summary.js FILE [MICROSECONDS TO SKIP]
'use strict';
const fs = require('node:fs');

const GROUPS = [
  ['Markdown (markdown-it)', /node_modules\/(markdown-it|linkify-it|mdurl|uc\.micro|punycode\.js)\//],
  ['sanitising (sanitize-html)', /node_modules\/(sanitize-html|htmlparser2|domhandler|domutils|dom-serializer|entities|postcss|nanoid|picocolors|source-map-js|parse-srcset|deepmerge|is-plain-object|escape-string-regexp)\//],
  ['SQLite (better-sqlite3)', /node_modules\/(better-sqlite3|bindings)\//],
  ['validation (zod)', /node_modules\/zod\//],
  ['logging (pino)', /node_modules\/(pino|pino-std-serializers|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|atomic-sleep|on-exit-leak-free|safe-stable-stringify)\//],
  ['rate limiting', /node_modules\/express-rate-limit\//],
  ['framework (express, body parsing, helmet)', /node_modules\/(express|router|body-parser|raw-body|iconv-lite|qs|side-channel[\w-]*|path-to-regexp|finalhandler|send|serve-static|helmet|on-finished|type-is|media-typer|mime-types|mime-db|content-type|accepts|negotiator|depd|debug|ms|encodeurl|escape-html|parseurl|statuses|http-errors|setprototypeof|inherits|toidentifier|vary|cookie|cookie-signature|fresh|range-parser|etag|proxy-addr|forwarded|ipaddr\.js|merge-descriptors|utils-merge|content-disposition|safe-buffer|safer-buffer|bytes|unpipe|destroy|ee-first|object-inspect|call-bind[\w-]*|get-intrinsic|es-[\w-]+|function-bind|has-symbols|hasown|gopd|math-intrinsics|dunder-proto|get-proto)\//],
  ['crypto (node:crypto)', /^node:(internal\/crypto|crypto)/],
  ["Node's HTTP, net and streams", /^node:(internal\/(http|streams|stream_base|net|timers|async_hooks|process\/task_queues|url|querystring|buffer|util|errors|event_target|events|validators|dns)|_http_\w+|http|net|stream|events|buffer|url|querystring|util|timers)/],
];

function groupOf(url, functionName) {
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return 'V8 and native, not attributed';
  for (const [name, re] of GROUPS) if (re.test(url)) return name;
  const ours = /\/dist\/src\/(.+)\.js$/.exec(url);
  if (ours) return `ours: ${ours[1].replace(/\/[^/]+$/, '') || ours[1]}`;
  if (/^node:/.test(url)) return 'Node, other';
  return url ? 'other' : null;
}

/** `skipUs`: leave out the first microseconds of the profile (start-up and set-up, before the load began). */
function summarise(profile, { skipUs = 0 } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const groupCache = new Map();
  const group = (id) => {
    if (groupCache.has(id)) return groupCache.get(id);
    const n = byId.get(id);
    let g = groupOf(n.callFrame.url, n.callFrame.functionName);
    // A native function (no URL) is charged to whoever called it: better-sqlite3's run(), crypto's HMAC, …
    if (g === null) g = parent.has(id) ? group(parent.get(id)) : 'other';
    groupCache.set(id, g);
    return g;
  };
  const self = new Map();
  let t = 0;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    if (t >= skipUs) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const groups = new Map();
  const fns = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const g = group(id);
    if (g === 'idle') {
      idle += us;
      continue;
    }
    total += us;
    groups.set(g, (groups.get(g) ?? 0) + us);
    const cf = byId.get(id).callFrame;
    const where = cf.url ? `${cf.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${cf.lineNumber + 1}` : `(native, ${g})`;
    const key = `${cf.functionName || '(anonymous)'}  ${where}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const lines = [`\nbusy ${(total / 1e6).toFixed(1)} s, idle ${(idle / 1e6).toFixed(1)} s; share of busy time by group:`];
  for (const [g, us] of [...groups].sort((a, b) => b[1] - a[1])) lines.push(`  ${pct(us)}  ${g}`);
  lines.push('\nbusiest functions (self time):');
  for (const [f, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, 25)) lines.push(`  ${pct(us)}  ${f}`);
  return lines.join('\n');
}

module.exports = { summarise };

if (require.main === module) console.log(summarise(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')), { skipUs: Number(process.argv[3] ?? 0) }));
