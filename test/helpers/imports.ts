// Runs an import through the server's own services, from a fixture file or text, as the CLI and HTTP import do.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { Services } from '../../src/app';
import { readDisqus } from '../../src/import/disqus';
import { readWordPress } from '../../src/import/wordpress';
import type { ImportOptions } from '../../src/domain/importer';

export const fixture = (name: string) => path.join(__dirname, '../fixtures/import', name);
export const fixtureText = (name: string) => fs.readFileSync(fixture(name), 'utf8');

/** A stream of the text in small chunks, so records and characters are split across chunk boundaries. */
export function chunked(text: string, size = 97): Readable {
  const buf = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(buf.subarray(i, i + size));
  return Readable.from(parts);
}

export function importXml(services: Services, format: 'disqus' | 'wordpress', text: string, opts: Omit<ImportOptions, 'source'>) {
  const read = format === 'disqus' ? readDisqus : readWordPress;
  return services.importer.run(read(chunked(text)), { ...opts, source: format });
}
