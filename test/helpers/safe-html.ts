// Checks stored comment html the way a browser would see it: parsed by a real HTML parser, every node walked.
import { parseFragment, type DefaultTreeAdapterMap } from 'parse5';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

export const ALLOWED_ELEMENTS = new Set(['p', 'br', 'em', 'strong', 's', 'del', 'a', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li']);
const ALLOWED_ATTRIBUTES: Record<string, Set<string>> = { a: new Set(['href', 'rel']), ol: new Set(['start']) };
const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'srcset', 'poster', 'background', 'data', 'srcdoc']);
const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);
export const LINK_REL = 'nofollow ugc noopener noreferrer';

const HTML_NS = 'http://www.w3.org/1999/xhtml';

function isElement(n: Node): n is Element {
  return 'tagName' in n;
}

function attrName(a: { name: string; prefix?: string }): string {
  return a.prefix ? `${a.prefix}:${a.name}` : a.name;
}

/** The scheme a browser would follow; relative references resolve against the embedding page. */
function protocolOf(url: string): string {
  try {
    return new URL(url, 'https://embedding-page.example/article').protocol;
  } catch {
    return 'unparseable:';
  }
}

/** Every reason the html is not inert, one string each; empty when it is safe. */
export function unsafeParts(html: string): string[] {
  const problems: string[] = [];
  const walk = (n: Node) => {
    if (isElement(n)) {
      const tag = n.tagName.toLowerCase();
      if (n.namespaceURI !== HTML_NS) problems.push(`<${tag}> in foreign namespace ${n.namespaceURI}`);
      if (tag === 'script') problems.push('<script> element');
      if (tag === 'style') problems.push('<style> element');
      if (!ALLOWED_ELEMENTS.has(tag)) problems.push(`<${tag}> is not in the allow-list`);
      for (const a of n.attrs) {
        const name = attrName(a).toLowerCase();
        if (name.startsWith('on')) problems.push(`event handler ${name} on <${tag}>`);
        if (name === 'style') problems.push(`style attribute on <${tag}>`);
        if (URL_ATTRIBUTES.has(name) && !SAFE_PROTOCOLS.has(protocolOf(a.value)))
          problems.push(`${name}="${a.value}" on <${tag}> is not http(s)/mailto`);
        if (!ALLOWED_ATTRIBUTES[tag]?.has(name)) problems.push(`attribute ${name} on <${tag}> is not allowed`);
      }
      if (tag === 'a') {
        const rel = n.attrs.find((a) => a.name === 'rel')?.value;
        if (rel !== LINK_REL) problems.push(`<a> has rel=${JSON.stringify(rel)}`);
      }
    }
    if ('content' in n && n.content) walk(n.content as Node);
    if ('childNodes' in n) for (const c of n.childNodes) walk(c as Node);
  };
  walk(parseFragment(html) as Node);
  return problems;
}

/** Visible text of html, as textContent would give it. */
export function textOf(html: string): string {
  let out = '';
  const walk = (n: Node) => {
    if (n.nodeName === '#text') out += (n as DefaultTreeAdapterMap['textNode']).value;
    if ('childNodes' in n) for (const c of n.childNodes) walk(c as Node);
  };
  walk(parseFragment(html) as Node);
  return out;
}

/** The elements of html, for asserting on structure: [tag, attributes] in document order. */
export function elementsOf(html: string): Array<{ tag: string; attrs: Record<string, string> }> {
  const out: Array<{ tag: string; attrs: Record<string, string> }> = [];
  const walk = (n: Node) => {
    if (isElement(n)) out.push({ tag: n.tagName, attrs: Object.fromEntries(n.attrs.map((a) => [attrName(a), a.value])) });
    if ('childNodes' in n) for (const c of n.childNodes) walk(c as Node);
  };
  walk(parseFragment(html) as Node);
  return out;
}
