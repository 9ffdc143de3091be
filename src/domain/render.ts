// Markdown → safe HTML, once at write time. markdown-it with raw HTML off, then a strict sanitize-html allow-list.
import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { isInvisible } from './text';

const md = new MarkdownIt('commonmark', { html: false, linkify: true, breaks: true });
// A comment is prose: no headings, rules, tables or images (an image would be a request to a third party).
md.enable(['linkify', 'strikethrough']).disable(['heading', 'lheading', 'hr', 'image', 'html_block', 'html_inline']);

const ALLOWED_TAGS = ['p', 'br', 'em', 'strong', 's', 'del', 'a', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li'];

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: { a: ['href', 'rel'], ol: ['start'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'escape',
  transformTags: {
    a: (tagName, attribs) => ({
      tagName,
      attribs: { ...(attribs.href ? { href: attribs.href } : {}), rel: 'nofollow ugc noopener noreferrer' },
    }),
  },
};

// Imported HTML (Disqus, WordPress) goes through the same allow-list; tags outside it are dropped rather than shown
// as text, since in an export they are the old system's markup, not what a reader typed. Script and style contents go.
const SANITIZE_IMPORTED: sanitizeHtml.IOptions = {
  ...SANITIZE,
  disallowedTagsMode: 'discard',
  transformTags: { ...SANITIZE.transformTags, b: 'strong', i: 'em', strike: 's' },
};

/** HTML from another comment system, made as safe as a new comment's. */
export function sanitizeImportedHtml(html: string): string {
  // Without `<` or `&` there is no tag and no entity: the sanitiser's answer is the text with `>` escaped, which this
  // gives without parsing (test/import/render-fast-path.test.ts checks it against the sanitiser on random text).
  if (!/[<&]/.test(html)) return html.replace(/>/g, '&gt;').trim();
  return sanitizeImportedHtmlParsed(html);
}

/** sanitizeImportedHtml always through the parser: the reference its fast path is tested against. */
export function sanitizeImportedHtmlParsed(html: string): string {
  return sanitizeHtml(html, SANITIZE_IMPORTED).trim();
}

export function renderMarkdown(source: string): string {
  return sanitizeHtml(md.render(source), SANITIZE).trim();
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The source as plain text: paragraphs at blank lines, line breaks kept, nothing read as Markdown. */
export function renderLiteral(source: string): string {
  const paragraphs = source.trim().split(/\n[ \t]*\n\s*/);
  return sanitizeHtml(paragraphs.map((p) => `<p>${escapeHtml(p).replace(/[ \t]*\n/g, '<br />\n')}</p>`).join('\n'), SANITIZE);
}

/**
 * A comment's HTML. Markdown that renders to nothing a reader could see (`-`, `*`, `1.`, `>`, `[]()`) is
 * shown as the characters the reader typed instead: any non-blank body is a comment (SPEC §3).
 */
export function renderBody(source: string): string {
  const html = renderMarkdown(source);
  return isInvisible(textOfSanitised(html)) ? renderLiteral(source) : html;
}

/**
 * The text of our sanitiser's own output, without a second parse: there `<` and `>` only delimit tags (it escapes
 * them in text and attributes), and the entities left (&amp; &lt; &gt; &quot;) all stand for visible characters.
 */
function textOfSanitised(html: string): string {
  return html.replace(/<[^>]*>/g, '');
}

/** Links a reader will see, counted on the rendered html so Markdown, autolinks and bare URLs all count. */
export function countLinks(html: string): number {
  return (html.match(/<a\s/g) ?? []).length;
}

/** Plain text of a comment for excerpts and feeds' summaries. */
export function toPlainText(html: string): string {
  return plainOfEscaped(sanitizeHtml(html, { allowedTags: [], allowedAttributes: {} }));
}

/**
 * toPlainText of what sanitizeImportedHtml (or renderMarkdown) returned, without a second parse: that html is
 * already in the form the sanitiser writes, so dropping its tags leaves the same escaped text a parse would.
 */
export function plainTextOfSanitised(html: string): string {
  return plainOfEscaped(textOfSanitised(html));
}

function plainOfEscaped(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}
