// The import's shortcuts around the sanitiser give exactly what the full sanitiser gives: a body with no `<` or `&`
// skips the parse, and the plain text of a sanitised body is read off it without parsing again. Checked with
// fast-check on random text and on random mixes of markup, entities and hostile fragments.
import fc from 'fast-check';
import { plainTextOfSanitised, sanitizeImportedHtml, sanitizeImportedHtmlParsed, toPlainText } from '../../src/domain/render';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

/** Pieces an exported body is made of: allowed and forbidden tags, attributes, entities, odd characters. */
const fragment = fc.oneof(
  fc.constantFrom(
    '<p>', '</p>', '<b>', '</b>', '<i>', '<strong>', '</strong>', '<em>', '<br>', '<br/>', '<br />', '<pre>', '</pre>', '<code>',
    '<blockquote>', '<ul><li>', '</li></ul>', '<ol start="3">', '<strike>', '<del>', '<h1>', '<img src=x onerror=alert(1)>',
    '<script>alert(1)</script>', '<style>p{}</style>', '<textarea>', '<a href="https://example.com/?a=1&b=2">',
    '<a href="javascript:alert(1)">', '<a href=\'mailto:x@example.com\' title="t">', '<a href="//evil.example">', '</a>',
    '<a href="https://example.com/a>b">', '<div onclick="x">', '</div>', '<!-- note -->', '<![CDATA[x]]>', '<?php ?>',
    '&amp;', '&lt;', '&gt;', '&quot;', '&#39;', '&nbsp;', '&#769;', '&eacute;', '&#x1F600;', '&bogus;', '&', '<', '>', '"',
    "'", ' ', '  ', '\n', '\n\n', '\t', '\u00a0', '\u200b', '\u2028', 'e\u0301', '😀', 'שלום', '\u202e', '&amp;lt;',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
);
const markup = fc.array(fragment, { maxLength: 30 }).map((parts) => parts.join(''));
/** Text the fast path takes: no `<` and no `&`, anything else (controls, `>`, quotes, whitespace, any plane). */
const plain = fc
  .oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.array(fc.constantFrom('a', ' ', '\n', '\t', '>', '"', "'", '\u00a0', 'é', '😀', '\r', '\u0000'), { maxLength: 40 }).map((a) => a.join('')))
  .map((s) => s.replace(/[<&]/g, ''));

test('a body with no markup gets exactly what the full sanitiser gives', () => {
  fc.assert(
    fc.property(plain, (s) => {
      expect(sanitizeImportedHtml(s)).toBe(sanitizeImportedHtmlParsed(s));
    }),
    { numRuns: RUNS },
  );
  // And the examples that matter, spelled out.
  expect(sanitizeImportedHtml('  a > b "quoted" \n')).toBe('a &gt; b "quoted"');
  expect(sanitizeImportedHtml('a > b')).toBe(sanitizeImportedHtmlParsed('a > b'));
});

test('any body gets what the full sanitiser gives, markup or not', () => {
  fc.assert(
    fc.property(fc.oneof(markup, plain), (s) => {
      expect(sanitizeImportedHtml(s)).toBe(sanitizeImportedHtmlParsed(s));
    }),
    { numRuns: RUNS },
  );
});

test('the plain text of a sanitised body is what parsing it again gives', () => {
  fc.assert(
    fc.property(fc.oneof(markup, plain), (s) => {
      const html = sanitizeImportedHtml(s).normalize('NFC');
      expect(plainTextOfSanitised(html)).toBe(toPlainText(html));
    }),
    { numRuns: RUNS },
  );
  const html = sanitizeImportedHtml('<p>Tom &amp; <b>Jerry</b> &lt;3</p>\n<p>"hi" <a href="https://x.example/?a=1&b=2">link</a> &amp;lt;</p>');
  expect(plainTextOfSanitised(html)).toBe('Tom & Jerry <3 "hi" link &lt;');
  expect(toPlainText(html)).toBe('Tom & Jerry <3 "hi" link &lt;');
});
