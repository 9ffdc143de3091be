// Tiny DOM helpers: every node from createElement and text; the only HTML inserted is the server's sanitised comment.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'class') el.className = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function clear(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

/** Server-sanitised comment html, in an inert container (no scripts run from innerHTML; the CSP blocks inline code too). */
export function commentHtml(html: string): HTMLElement {
  const div = h('div', { class: 'body' });
  div.innerHTML = html;
  // Defence in depth: anything that is not a plain http(s)/mailto link loses its href.
  for (const a of Array.from(div.querySelectorAll('a'))) {
    const href = a.getAttribute('href') ?? '';
    if (!/^(https?:|mailto:)/i.test(href)) a.removeAttribute('href');
    a.setAttribute('rel', 'nofollow ugc noopener noreferrer');
    a.setAttribute('target', '_blank');
  }
  for (const el of Array.from(div.querySelectorAll('*'))) {
    for (const attr of Array.from(el.attributes)) if (/^on/i.test(attr.name) || attr.name === 'style') el.removeAttribute(attr.name);
    if (/^(script|style|iframe|object|embed|img|svg|math|form|input|link|meta)$/i.test(el.tagName)) el.remove();
  }
  return div;
}

export function timeAgo(iso: string): string {
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const hr = Math.round(m / 60);
  if (hr < 24) return `${hr} h ago`;
  const d = Math.round(hr / 24);
  if (d < 30) return `${d} d ago`;
  return new Date(iso).toLocaleDateString();
}
