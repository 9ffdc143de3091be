// Entry point of /embed.js: reads the <script> tag's data- attributes and mounts the thread.
// Loading the file twice (single-page apps) reuses the first copy's window.Marginalia.
import { mountThread, type Options } from './widget';

interface Marginalia {
  version: string;
  render(el: Element, options: Options): void;
}

declare global {
  interface Window {
    Marginalia?: Marginalia;
  }
}

const script = document.currentScript as HTMLScriptElement | null;
/** The service answers the API on the same origin it serves embed.js from. */
const serviceOrigin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
const mounted = new WeakMap<Element, { root: ShadowRoot; stop: AbortController }>();

function render(el: Element, options: Options): void {
  if (!el || !options || !options.site) throw new TypeError('Marginalia.render(el, {site})');
  let m = mounted.get(el);
  if (m) m.stop.abort(); // re-rendering replaces the previous thread and cancels its requests
  else {
    let root: ShadowRoot;
    try {
      root = el.shadowRoot || el.attachShadow({ mode: 'open' });
    } catch {
      // Elements such as <ul> cannot host a shadow root: mount on a child of our own.
      root = el.appendChild(document.createElement('marginalia-thread')).attachShadow({ mode: 'open' });
    }
    m = { root, stop: new AbortController() };
  }
  m.stop = new AbortController();
  mounted.set(el, m);
  void mountThread(m.root, { api: serviceOrigin, ...options }, m.stop.signal);
}

function mountFromScript(s: HTMLScriptElement, api: Marginalia): void {
  const d = s.dataset;
  const find = () => {
    try {
      return document.querySelector(d.target || '#comments');
    } catch {
      return null; // an invalid selector: fall back to placing the thread after the script
    }
  };
  const go = () => {
    let el = find();
    if (!el) s.after((el = document.createElement('div')));
    api.render(el, { site: d.site!, page: d.page, theme: d.theme, lang: d.lang, sort: d.sort, api: serviceOrigin });
  };
  // An async script can run before the target is parsed; wait for the document in that case.
  if (!find() && document.readyState == 'loading') document.addEventListener('DOMContentLoaded', go, { once: true });
  else go();
}

const api = (window.Marginalia ||= { version: '1', render });
if (script && script.dataset.site) mountFromScript(script, api);
