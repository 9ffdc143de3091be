import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { textOf } from '../helpers/safe-html';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'none' });
});
afterEach(() => server.stop());

const post = (over: Record<string, unknown>) => call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput(over) });
const list = (page = '/post') => call(server, 'GET', `/api/v1/sites/demo/comments?page=${encodeURIComponent(page)}`);

/** Field paths a 400 problem names. */
const fieldsOf = (r: { body: { errors?: Array<{ path: string }> } }) => (r.body.errors ?? []).map((e) => e.path);

describe('text round-trips NFC-normalised from post to list', () => {
  const cases: Array<[label: string, sent: string, stored: string]> = [
    ['emoji', 'Great post 😀🎉', 'Great post 😀🎉'],
    ['a ZWJ family sequence', 'Family: 👩‍👩‍👧‍👦', 'Family: 👩\u200d👩\u200d👧\u200d👦'],
    ['skin-tone modifiers', 'Thumbs 👍🏽 and 👋🏿', 'Thumbs 👍🏽 and 👋🏿'],
    ['flags and keycaps', 'From 🇳🇿, rated 5️⃣', 'From 🇳🇿, rated 5️⃣'],
    ['Arabic (right-to-left)', 'مرحبا بالعالم', 'مرحبا بالعالم'],
    ['Hebrew (right-to-left) mixed with Latin', 'שלום עולם and hello', 'שלום עולם and hello'],
    ['zero-width joiner, non-joiner and space', 'a\u200db\u200cc\u200bd', 'a\u200db\u200cc\u200bd'],
    ['a combining acute accent', 'cafe\u0301', 'café'],
    ['stacked combining marks', 'Ame\u0301lie\u0308 n\u0303o', 'Amélië ño'],
    ['decomposed Hangul jamo', '\u1112\u1161\u11ab\u1100\u1173\u11af', '한글'],
    ['the Angstrom sign (a canonical singleton)', '\u212B ring', '\u00C5 ring'],
    ['a compatibility ligature, which NFC keeps', 'ﬁne', 'ﬁne'],
  ];

  it.each(cases)('keeps %s in the body and the name', async (_label, sent, stored) => {
    const r = await post({ body: `Body: ${sent}`, name: `Name ${sent}` });
    expect(r.status).toBe(201);
    const [c] = (await list()).body.comments;
    expect(textOf(c.html)).toBe(`Body: ${stored}`);
    expect(c.author.name).toBe(`Name ${stored}`);
    expect(c.author.name).toBe(c.author.name.normalize('NFC'));
    expect(r.body.comment.html).toBe(c.html);
  });

  it('normalises the page key, so composed and decomposed forms are one thread', async () => {
    expect((await post({ page: '/cafe\u0301', body: 'decomposed' })).status).toBe(201);
    expect((await post({ page: '/café', body: 'composed' })).status).toBe(201);
    const r = await list('/café');
    expect(r.body.page.key).toBe('/café');
    expect(r.body.comments.map((c: { html: string }) => textOf(c.html))).toEqual(['decomposed', 'composed']);
  });

  it('normalises an edited body too', async () => {
    const r = await post({ body: 'first' });
    const edit = await call(server, 'PATCH', `/api/v1/comments/${r.body.comment.id}`, { token: r.body.editToken, body: { body: 'nai\u0308ve' } });
    expect(edit.status).toBe(200);
    expect(textOf(edit.body.comment.html)).toBe('naïve');
  });
});

describe('length limits count characters', () => {
  it('accepts a 10,000-character body', async () => {
    const r = await post({ body: 'a'.repeat(10_000) });
    expect(r.status).toBe(201);
    expect(textOf((await list()).body.comments[0].html)).toHaveLength(10_000);
  });

  it('refuses a 10,001-character body with 400 naming body', async () => {
    const r = await post({ body: 'a'.repeat(10_001) });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ path: 'body', code: 'too_long', message: 'must be at most 10000 characters', limit: 10_000 }]);
    expect((await list()).body.comments).toHaveLength(0);
  });

  it('counts an emoji as one character, so 10,000 emoji fit', async () => {
    expect((await post({ body: '😀'.repeat(10_000) })).status).toBe(201);
    expect(fieldsOf(await post({ body: '😀'.repeat(10_001) }))).toEqual(['body']);
  });

  it('measures the body after trimming surrounding whitespace', async () => {
    expect((await post({ body: `  \n${'b'.repeat(10_000)}\n\t ` })).status).toBe(201);
  });

  it('counts a decomposed accent as one character once composed', async () => {
    // 'e' + U+0301 is two code points but one after NFC: 10,000 of them fit.
    expect((await post({ body: 'e\u0301'.repeat(10_000) })).status).toBe(201);
  });

  it('accepts a 100-character name and refuses 101 with 400 naming name', async () => {
    expect((await post({ name: 'n'.repeat(100) })).status).toBe(201);
    const r = await post({ name: 'n'.repeat(101) });
    expect(r.status).toBe(400);
    expect(fieldsOf(r)).toEqual(['name']);
  });

  it('accepts a 512-character page key and refuses 513 with 400 naming page', async () => {
    const key = '/' + 'p'.repeat(511);
    expect((await post({ page: key })).status).toBe(201);
    expect((await list(key)).body.page.key).toBe(key);
    const r = await post({ page: '/' + 'p'.repeat(512) });
    expect(r.status).toBe(400);
    expect(fieldsOf(r)).toEqual(['page']);
  });

  it('refuses an empty or whitespace-only body with 400 naming body', async () => {
    for (const body of ['', ' \n\t ']) {
      const r = await post({ body });
      expect(r.status).toBe(400);
      expect(fieldsOf(r)).toEqual(['body']);
    }
  });
});

describe('control characters', () => {
  const controls: Array<[name: string, char: string]> = [
    ['NUL', '\u0000'],
    ['BEL', '\u0007'],
    ['backspace', '\u0008'],
    ['vertical tab', '\u000b'],
    ['form feed', '\u000c'],
    ['a lone carriage return', '\r'],
    ['ESC', '\u001b'],
    ['DEL', '\u007f'],
    ['NEL (C1)', '\u0085'],
    ['CSI (C1)', '\u009b'],
  ];

  it.each(controls)('refuses %s in the body with 400 naming body', async (_name, ch) => {
    const r = await post({ body: `before${ch}after` });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.body.errors).toEqual([{ path: 'body', code: 'control_characters', message: 'must not contain control characters' }]);
  });

  it.each(['name', 'page', 'pageTitle'])('refuses control characters in %s with 400 naming it', async (field) => {
    for (const [, ch] of controls) {
      const r = await post({ [field]: `x${ch}y` });
      expect({ ch: ch.codePointAt(0), status: r.status, fields: fieldsOf(r) }).toEqual({ ch: ch.codePointAt(0), status: 400, fields: [field] });
    }
  });

  it('refuses control characters in a report note and an edited body', async () => {
    const r = await post({ body: 'to be reported' });
    const report = await call(server, 'POST', `/api/v1/comments/${r.body.comment.id}/reports`, { body: { reason: 'other', note: 'bad\u0007note' } });
    expect(report.status).toBe(400);
    expect(fieldsOf(report)).toEqual(['note']);
    const edit = await call(server, 'PATCH', `/api/v1/comments/${r.body.comment.id}`, { token: r.body.editToken, body: { body: 'bad\u001bedit' } });
    expect(edit.status).toBe(400);
    expect(fieldsOf(edit)).toEqual(['body']);
  });

  it.each(controls)('refuses %s at either end of the body and the name, not only inside', async (_name, ch) => {
    for (const over of [{ body: `${ch}text` }, { body: `text${ch}` }, { name: `${ch}Ada` }, { name: `Ada${ch}` }]) {
      const r = await post(over);
      expect({ over, status: r.status, fields: fieldsOf(r) }).toEqual({ over, status: 400, fields: Object.keys(over) });
    }
  });

  it.each(['website', 'pageUrl'])('refuses control characters, newlines and tabs inside %s with 400 naming it', async (field) => {
    for (const ch of [...controls.map(([, c]) => c), '\n', '\t', '\u2028', '\u2029']) {
      // Surrounding line breaks and tabs are trimmed as whitespace, as in every single-line field; other controls never are.
      const edge = /[\n\t\u2028\u2029]/.test(ch) ? [] : [`${ch}https://example.com/`, `https://example.com/${ch}`];
      for (const url of [`https://example.com/a${ch}b`, `https://exa${ch}mple.com/`, ...edge]) {
        const r = await post({ [field]: url });
        expect({ url, status: r.status, fields: fieldsOf(r) }).toEqual({ url, status: 400, fields: [field] });
      }
    }
  });

  it('names every field that holds one', async () => {
    const r = await post({ name: 'a\u0000b', body: 'c\u0007d', page: '/e\u007ff' });
    expect(r.status).toBe(400);
    expect(fieldsOf(r).sort()).toEqual(['body', 'name', 'page']);
  });

  it('accepts newlines (LF and CRLF) and tabs in the body', async () => {
    const r = await post({ body: 'line one\nline two\r\nline\tthree' });
    expect(r.status).toBe(201);
    expect(r.body.comment.html).toBe('<p>line one<br />\nline two<br />\nline\tthree</p>');
  });

  it('refuses newlines and tabs in the name', async () => {
    for (const name of ['Ada\nLovelace', 'Ada\tLovelace']) expect(fieldsOf(await post({ name }))).toEqual(['name']);
  });
});

describe('line and paragraph separators (U+2028, U+2029)', () => {
  it('reads them as a newline in the body, posted and edited', async () => {
    const r = await post({ body: '\u2029test\u2029' });
    expect(r.status).toBe(201);
    expect(r.body.comment.html).toBe('<p>test</p>');
    const two = await post({ body: 'one\u2028two\u2029\u2029three' });
    expect(two.status).toBe(201);
    expect(two.body.comment.html).toBe('<p>one<br />\ntwo</p>\n<p>three</p>');
    const edit = await call(server, 'PATCH', `/api/v1/comments/${two.body.comment.id}`, { token: two.body.editToken, body: { body: 'a\u2028b' } });
    expect(edit.status).toBe(200);
    expect(edit.body.comment.html).toBe('<p>a<br />\nb</p>');
    const moderated = await call(server, 'GET', '/api/v1/sites/demo/moderation/comments?status=all', { token: server.ownerToken });
    expect(moderated.body.items.map((c: { body: string }) => c.body).sort()).toEqual(['a\nb', 'test']);
  });

  it('reads them as a space in single-line fields: the name, the page key and the title', async () => {
    const r = await post({ name: '\u2029Ada\u2028Lovelace\u2029', page: '/a\u2029b', pageTitle: 'A\u2028title' });
    expect(r.status).toBe(201);
    expect(r.body.comment.author.name).toBe('Ada Lovelace');
    const listed = await list('/a b');
    expect(listed.body.page).toMatchObject({ key: '/a b', title: 'A title' });
    expect(listed.body.comments.map((c: { author: { name: string } }) => c.author.name)).toEqual(['Ada Lovelace']);
  });

  it('refuses a name that is nothing but separators as blank, with 400 naming name', async () => {
    const r = await post({ name: '\u2028\u2029' });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ path: 'name', code: 'required', message: 'is required' }]);
  });
});
