// Import: the timestamps exports write, read as UTC when they name no zone.
import { ImportError } from './records';

/** ISO 8601 (`2012-12-12T12:12:12Z`, zone optional) or WordPress's `2012-12-12 12:12:12`, as epoch milliseconds. */
export function parseTime(value: string | null, field: string, where: { entry?: string; line?: number; column?: number }): number {
  if (!value) throw new ImportError(`${field} is missing`, where);
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim());
  const ms = m ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}${m[7] ?? ''}${m[8] ?? 'Z'}`) : NaN;
  if (!Number.isFinite(ms) || ms < 0) throw new ImportError(`${field} "${value.slice(0, 40)}" is not a date and time`, where);
  return ms;
}
