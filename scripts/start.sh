#!/bin/sh
# How the server is started (`npm start`, the systemd unit, the benchmarks): the built entry point with the memory
# settings docs/memory.md measures. `exec` replaces this shell, so the server keeps its pid and gets the signals.
#   MALLOC_ARENA_MAX=2             glibc keeps two malloc arenas instead of one per thread (SQLite and libuv
#                                  threads otherwise each grow their own); an existing value is kept.
#   --max-semi-space-size=2        V8's young generation in 2 MB halves, not up to 16 MB ones.
#   --max-old-space-size=512       far above what the server keeps (docs/memory.md); with a limit this small V8
#                                  lets the heap grow to about 1.4× what is live between full collections, not 4×.
# Arguments go to node before the entry point (e.g. `--cpu-prof`); later flags win, so they can change these.
# NODE picks the node binary (default: the one on PATH).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
dir=$(dirname "$0")
exec "${NODE:-node}" --max-semi-space-size=2 --max-old-space-size=512 "$@" "$dir/../dist/src/main.js"
