// Root pino logger. Log lines never carry an IP, an e-mail, a token or an Authorization header.
import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.email',
  '*.ip',
  '*.token',
  '*.editToken',
  '*.password',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}
