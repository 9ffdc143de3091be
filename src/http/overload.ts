// HTTP: load shedding. When the event loop lags past a threshold, new API work gets 503 + Retry-After at once
// instead of queueing without bound; cached thread and count answers, health checks and metrics are still served.
import { performance } from 'node:perf_hooks';
import type { Request, RequestHandler } from 'express';
import type { MetricsRegistry } from '../metrics/registry';
import { unavailable } from '../domain/errors';

const SAMPLE_MS = 20;
/** How long a lag spike keeps the gate shut: long enough for the queued backlog to drain. */
const HOLD_MS = 1000;

/** Measures event-loop lag as the lateness of a short repeating timer. */
export class LagMonitor {
  private last = performance.now();
  private lastLag = 0;
  /** Start-up work (migrations, first-start set-up) runs before the first tick; that stall is not load. */
  private started = false;
  private spikeAt = -Infinity;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly thresholdMs: number) {
    this.timer = setInterval(() => {
      const now = performance.now();
      if (!this.started) {
        this.started = true;
        this.last = now;
        return;
      }
      this.lastLag = Math.max(0, now - this.last - SAMPLE_MS);
      this.last = now;
      if (this.thresholdMs > 0 && this.lastLag > this.thresholdMs) this.spikeAt = now;
    }, SAMPLE_MS);
    // Never what keeps the process alive.
    this.timer.unref();
  }

  /** The most recent lag, or the current stall when the timer itself has not run for longer. */
  lagMs(now = performance.now()): number {
    if (!this.started) return 0;
    return Math.max(this.lastLag, now - this.last - SAMPLE_MS);
  }

  overloaded(now = performance.now()): boolean {
    if (this.thresholdMs <= 0) return false;
    // A request handled right after a long stall may run before the timer that would notice it.
    if (this.lagMs(now) > this.thresholdMs) this.spikeAt = now;
    return now - this.spikeAt < HOLD_MS;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

const ALWAYS = new Set(['/healthz', '/readyz', '/metrics']);
const CACHED_READ = /^\/api\/v1\/sites\/[^/]+\/(comments|counts)$/;

/** Set on a read that may be answered only from the answer cache: the route throws what it returns on a miss. */
export type RefuseOnMiss = () => Error;

export function shedLoad(monitor: LagMonitor, metrics: MetricsRegistry): RequestHandler {
  const refusals = metrics.counter({ name: 'marginalia_overload_refusals_total', help: 'Requests refused with 503 because the event loop lagged.' });
  metrics.gauge({ name: 'marginalia_event_loop_lag_seconds', help: 'Latest event-loop lag seen by the overload guard.', collect: () => monitor.lagMs() / 1000 });
  const isRead = (req: Request) => req.method === 'GET' || req.method === 'HEAD';
  return (req, res, next) => {
    if (ALWAYS.has(req.path) || !monitor.overloaded()) return next();
    if (isRead(req) && !req.path.startsWith('/api/')) return next(); // widget, console and demo files come from memory
    const refuse: RefuseOnMiss = () => {
      refusals.inc();
      return unavailable('overloaded', 'The server is busy; try again shortly.', HOLD_MS / 1000);
    };
    if (isRead(req) && CACHED_READ.test(req.path)) {
      res.locals.refuseOnMiss = refuse;
      return next();
    }
    next(refuse());
  };
}
