// Config: the only reader of process.env. One zod schema; a bad value stops start-up naming the variable.
import path from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const envSchema = z.object({
  PORT: z.coerce.number({ message: 'must be a port number' }).int('must be a whole number').min(0).max(65535).default(3000),
  HOST: z.string().min(1, 'must not be empty').default('0.0.0.0'),
  DATA_DIR: z.string().min(1, 'must not be empty').default('./data'),
  DATABASE_PATH: z.string().min(1, 'must not be empty').optional(),
  SECRET_KEY: z
    .string()
    .refine((v) => /^[A-Za-z0-9+/_-]+=*$/.test(v) && Buffer.from(v, 'base64').length >= 32, 'must be at least 32 bytes, base64-encoded')
    .optional(),
  PUBLIC_URL: z.url({ message: 'must be an absolute http(s) URL', protocol: /^https?$/ }).optional(),
  TRUST_PROXY: bool.default(false),
  // Public answers kept in memory; 0 keeps none.
  CACHE_MAX_BYTES: z.coerce.number({ message: 'must be a number of bytes' }).int('must be a whole number').min(0, 'must not be negative').default(32 * 1024 * 1024),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  OVERLOAD_LAG_MS: z.coerce.number({ message: 'must be a number of milliseconds' }).int('must be a whole number').min(0).max(60_000).default(500),
  DATABASE_URL: z.url({ message: 'must be a postgres:// URL', protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_POOL_SIZE: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(1).max(1000).default(10),
  REDIS_URL: z.url({ message: 'must be a redis:// or rediss:// URL', protocol: /^rediss?$/ }).optional(),
  REDIS_PREFIX: z.string().max(100, 'must be at most 100 characters').default('marginalia:'),
  STREAMS_PER_IP: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(1).max(1_000_000).default(20),
  STREAMS_MAX: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(1).max(1_000_000).default(10_000),
  // The URL may hold a password: the message names the rule, never the value.
  SMTP_URL: z.string().regex(/^smtps?:\/\/[^\s]+$/, 'must be an smtp:// or smtps:// URL').optional(),
  MAIL_FROM: z.string().max(320).refine((v) => !/[\r\n]/.test(v), 'must be one line').optional(),
  WEBHOOK_ALLOW_PRIVATE: bool.default(false),
});

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly databasePath: string;
  /** Base64 key from the environment; when absent, main.ts generates one into dataDir. */
  readonly secretKey: string | undefined;
  readonly publicUrl: string;
  readonly trustProxy: boolean;
  readonly logLevel: string;
  /** Byte budget of the public answer cache. */
  readonly cacheMaxBytes: number;
  /** Bearer token for /metrics; without it /metrics answers loopback only. */
  readonly metricsToken: string | undefined;
  /** Event-loop lag past which new requests get 503 (0: never). */
  readonly overloadLagMs: number;
  /** postgres://… : PostgreSQL instead of the SQLite file at databasePath. */
  readonly databaseUrl: string | undefined;
  /** Connections per process in the PostgreSQL pool. */
  readonly databasePoolSize: number;
  /** redis://… : state that replicas share (rate limits, answer-cache invalidation, events). */
  readonly redisUrl: string | undefined;
  readonly redisPrefix: string;
  /** Live-update streams: open at once per client address, and in all. */
  readonly streams: { readonly perIp: number; readonly max: number };
  /** null: no mail is sent and no mail feature shows. */
  readonly smtpUrl: string | null;
  readonly mailFrom: string;
  /** Let webhooks reach private and loopback addresses (a receiver on the same network). */
  readonly webhookAllowPrivate: boolean;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, as a shell `VAR=` usually means.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`Invalid configuration: ${String(issue.path[0])} ${issue.message}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databasePath: e.DATABASE_PATH ? path.resolve(e.DATABASE_PATH) : path.join(dataDir, 'marginalia.db'),
    secretKey: e.SECRET_KEY,
    publicUrl,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    cacheMaxBytes: e.CACHE_MAX_BYTES,
    metricsToken: e.METRICS_TOKEN,
    overloadLagMs: e.OVERLOAD_LAG_MS,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    streams: Object.freeze({ perIp: e.STREAMS_PER_IP, max: e.STREAMS_MAX }),
    smtpUrl: e.SMTP_URL ?? null,
    mailFrom: e.MAIL_FROM ?? `Marginalia <marginalia@${new URL(publicUrl).hostname}>`,
    webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
  });
}
