// The OpenAPI document is valid for tools no one here wrote: Redocly's OpenAPI linter (its recommended rules, which
// include the OpenAPI 3.1 structure and unresolved references), a JSON Schema 2020-12 meta-schema check of every
// schema in it, and openapi-typescript.
import { createConfig, lintFromString, type NormalizedProblem } from '@redocly/openapi-core';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { buildOpenApi } from '../../src/http/openapi';

type Doc = Record<string, any>;
// A public address, as a deployment has (the linter warns about localhost servers).
const document = (): Doc => buildOpenApi('https://comments.news.test');

/** Every problem Redocly's recommended rules find, as "severity rule: message at pointer". */
async function lint(doc: Doc): Promise<string[]> {
  const config = await createConfig({ extends: ['recommended'] });
  const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: '/openapi.json', config });
  return problems.map((p: NormalizedProblem) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`);
}

/** Every Schema Object in the document: the shared ones, and those of parameters, bodies and responses. */
function schemasOf(doc: Doc): [string, unknown][] {
  const found: [string, unknown][] = Object.entries(doc.components.schemas).map(([name, s]) => [`components/schemas/${name}`, s]);
  for (const [path, item] of Object.entries<Doc>(doc.paths))
    for (const [method, op] of Object.entries<Doc>(item)) {
      const at = `${method.toUpperCase()} ${path}`;
      for (const p of op.parameters ?? []) found.push([`${at} parameter ${p.name}`, p.schema]);
      for (const [type, media] of Object.entries<Doc>(op.requestBody?.content ?? {})) found.push([`${at} body ${type}`, media.schema]);
      for (const [status, r] of Object.entries<Doc>(op.responses))
        for (const [type, media] of Object.entries<Doc>(r.content ?? {})) found.push([`${at} ${status} ${type}`, media.schema]);
    }
  return found;
}

function refsOf(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsOf(v, out));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) k === '$ref' && typeof v === 'string' ? out.push(v) : refsOf(v, out);
  return out;
}

describe('the OpenAPI document', () => {
  it('passes the OpenAPI 3.1 linter with no error and no warning, every reference resolving', async () => {
    const doc = document();
    expect(doc.openapi).toBe('3.1.0');
    expect(await lint(doc)).toEqual([]);
    const refs = refsOf(doc);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\/\w+$/);
      expect(doc.components.schemas).toHaveProperty(ref.split('/').pop()!);
    }
    expect(JSON.stringify(doc)).not.toContain('$defs');
  });

  it('keeps shared schemas under components/schemas, each used by reference', () => {
    const doc = document();
    const thread = doc.paths['/sites/{site}/comments'].get.responses['200'].content['application/json'].schema;
    expect(thread).toEqual({ $ref: '#/components/schemas/Thread' });
    expect(doc.components.schemas.Thread.properties.comments.items).toEqual({ $ref: '#/components/schemas/PublicComment' });
    const referenced = new Set(refsOf(doc).map((r) => r.split('/').pop()));
    for (const name of Object.keys(doc.components.schemas)) expect({ name, referenced: referenced.has(name) }).toEqual({ name, referenced: true });
  });

  it('holds only schemas that are valid JSON Schema 2020-12', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    for (const [where, schema] of schemasOf(document())) {
      const ok = ajv.validateSchema(schema as object);
      expect({ where, errors: ok ? null : ajv.errors }).toEqual({ where, errors: null });
    }
  });

  it('gives openapi-typescript what it needs: every path and every shared schema becomes a type', () => {
    const doc = document();
    // openapi-typescript is an ES module: it runs in its own process, as the build runs it.
    const script = path.join(__dirname, '../../scripts/api-types.js');
    const source = execFileSync(process.execPath, [script, '--print'], { encoding: 'utf8' });
    for (const path of Object.keys(doc.paths)) expect(source).toContain(`"${path}": {`);
    for (const name of Object.keys(doc.components.schemas)) expect(source).toMatch(new RegExp(`^ {8}${name}: `, 'm'));
  });

  describe('the checks above fail on a broken document', () => {
    it('finds a dangling reference (the kind zod leaves when its $defs are not moved)', async () => {
      const doc = document();
      doc.paths['/sites/{site}/comments'].get.responses['200'].content['application/json'].schema = { $ref: '#/$defs/PublicComment' };
      expect(await lint(doc)).toContainEqual(expect.stringMatching(/^error no-unresolved-refs: .*at #\/paths\/~1sites~1\{site\}~1comments\/get/));
    });

    it('finds a reference to a shared schema that is not there', async () => {
      const doc = document();
      delete doc.components.schemas.PublicComment;
      const problems = await lint(doc);
      expect(problems.length).toBeGreaterThan(0);
      expect(problems.every((p) => p.startsWith('error no-unresolved-refs'))).toBe(true);
    });

    it('finds structural errors in the document', async () => {
      const doc = document();
      delete doc.paths['/sites/{site}/comments'].get.responses['200'].description;
      doc.paths['/sites/{site}/comments'].get.parameters[0].in = 'body';
      doc.components.schemas.PublicComment.required = 'id';
      const problems = await lint(doc);
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^error struct: .*description.*at #\/paths\/~1sites~1\{site\}~1comments\/get\/responses\/200/),
          expect.stringMatching(/^error struct: .*at #\/paths\/~1sites~1\{site\}~1comments\/get\/parameters\/0\/in/),
          expect.stringMatching(/^error struct: .*at #\/components\/schemas\/PublicComment\/required/),
        ]),
      );
    });

    it('finds a schema that is not valid JSON Schema', () => {
      const doc = document();
      doc.components.schemas.PublicComment.properties.depth.type = 'int';
      const ajv = new Ajv2020({ strict: false, validateFormats: false });
      const bad = schemasOf(doc).filter(([, s]) => !ajv.validateSchema(s as object));
      expect(bad.map(([where]) => where)).toEqual(['components/schemas/PublicComment']);
    });
  });
});
