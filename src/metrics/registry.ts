// Metrics: one Prometheus registry per app (prom-client). Other modules register through the small
// MetricsRegistry interface and never import prom-client themselves.
import client from 'prom-client';

export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

/** What a module may do with metrics: a gauge read at scrape time, or a counter it increments. */
export interface MetricsRegistry {
  /** `collect` runs on every scrape: one number, or one sample per label set. */
  gauge(def: { name: string; help: string; labelNames?: readonly string[]; collect(): number | Sample[] | Promise<number | Sample[]> }): void;
  counter(def: { name: string; help: string; labelNames?: readonly string[] }): { inc(labels?: Record<string, string>, by?: number): void };
}

export class Metrics implements MetricsRegistry {
  readonly registry = new client.Registry();
  readonly contentType = this.registry.contentType;

  constructor(opts: { defaults?: boolean } = {}) {
    // process_* and nodejs_* (memory, handles, GC, event-loop lag), as the SPEC names them.
    if (opts.defaults !== false) client.collectDefaultMetrics({ register: this.registry });
  }

  gauge(def: Parameters<MetricsRegistry['gauge']>[0]): void {
    new client.Gauge({
      name: def.name,
      help: def.help,
      labelNames: def.labelNames ?? [],
      registers: [this.registry],
      async collect() {
        const got = await def.collect();
        // A label set that disappeared (a site removed, a status emptied) must not keep its last value.
        this.reset();
        if (typeof got === 'number') this.set(got);
        else for (const s of got) this.set(s.labels ?? {}, s.value);
      },
    });
  }

  counter(def: Parameters<MetricsRegistry['counter']>[0]): { inc(labels?: Record<string, string>, by?: number): void } {
    const c = new client.Counter({ name: def.name, help: def.help, labelNames: def.labelNames ?? [], registers: [this.registry] });
    return { inc: (labels = {}, by = 1) => c.inc(labels, by) };
  }

  /** The latency histogram and request counter of the HTTP layer. */
  httpInstruments() {
    const labelNames = ['method', 'route', 'status'] as const;
    return {
      requests: new client.Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by route pattern and status.', labelNames, registers: [this.registry] }),
      duration: new client.Histogram({
        name: 'http_request_duration_seconds',
        help: 'Time to answer an HTTP request, by route pattern and status.',
        labelNames,
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [this.registry],
      }),
    };
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
