// DOM building: every node through createElement / text nodes, never markup strings.
type Attr = string | number | boolean | null | undefined | ((e: Event) => void);
type Kid = Node | string | null | undefined | false;

/** h('button', {class: 'x', onclick: fn}, 'Text'): attributes are set as text, handlers as listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Record<string, Attr> | null,
  ...kids: Kid[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const k in attrs) {
    const v = attrs[k];
    if (v == null || v === false) continue;
    if (typeof v == 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids) if (kid != null && kid !== false) el.append(kid);
  return el;
}

const SAFE_URL = /^(https?:|mailto:|#|\/(?!\/))/i;
const DROP = 'script,style,iframe,frame,object,embed,link,meta,base,form,input,button,svg,math,template,img,picture,video,audio,source';

/**
 * Parses the server's already-sanitised comment HTML in an inert <template> (nothing loads or runs)
 * and strips anything active once more, as a second line of defence.
 */
export function safeHtml(html: string): DocumentFragment {
  const t = document.createElement('template');
  t.innerHTML = html;
  const f = t.content;
  f.querySelectorAll(DROP).forEach((n) => n.remove());
  f.querySelectorAll('*').forEach((n) => {
    for (const a of Array.from(n.attributes)) {
      const name = a.name.toLowerCase();
      if (name.startsWith('on') || name == 'style' || name == 'srcset' || name == 'formaction' ||
          ((name == 'href' || name == 'src' || name == 'action' || name == 'xlink:href') && !SAFE_URL.test(a.value.trim()))) {
        n.removeAttribute(a.name);
      }
    }
    if (n.tagName == 'A') n.setAttribute('rel', 'nofollow ugc noopener noreferrer');
  });
  return document.importNode(f, true);
}
