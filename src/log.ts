// Root pino logger. Log lines never carry an IP, an e-mail, a token or an Authorization header.
import pino, { type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

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

/** The fields of an access-log line, shown as "GET /path 200 3.1 ms" on a terminal instead of one by one. */
const ACCESS_FIELDS = ['reqId', 'method', 'path', 'status', 'ms'];

/**
 * Readable lines for a person at a terminal: time, level, message, the other fields on the same line. The same
 * records as the JSON lines (redaction happens before this stream), written synchronously so that a fatal line
 * before exit is not lost.
 */
export function terminalDestination(): DestinationStream {
  return pretty({
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: ACCESS_FIELDS.join(','),
    messageFormat: (log, messageKey) => {
      if (log[messageKey] === 'request' && log.method) return `${log.method} ${log.path} ${log.status} ${log.ms} ms`;
      return `${String(log[messageKey] ?? '')}${log.reqId ? ` (request ${String(log.reqId)})` : ''}`;
    },
  });
}
