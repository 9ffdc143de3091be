// A site's page: the embed snippet with a copy button, the install check, and a live preview of the widget.
import { api, ApiError } from './api';
import { clear, h } from './dom';
import type { App } from './types';
import { canCreateSites, installSummary, POLICIES, when, type SiteInfo } from './sites';

/** The page key the preview posts to (the server lets the console's own origin post there, and nowhere else). */
const PREVIEW_PAGE = 'marginalia:preview';
/** While nothing has been seen, the check asks again this often, as long as the page is open. */
const RECHECK_MS = 5000;

interface Widget {
  render(el: Element, options: { site: string; page?: string; theme?: string }): void;
}

/** /embed.js, loaded once into the console (same origin: the console's CSP allows it and its API calls). */
function loadWidget(): Promise<Widget> {
  const w = (window as unknown as { Marginalia?: Widget }).Marginalia;
  if (w) return Promise.resolve(w);
  return new Promise((resolve, reject) => {
    const s = h('script', { src: '/embed.js', async: true });
    s.addEventListener('load', () => {
      const loaded = (window as unknown as { Marginalia?: Widget }).Marginalia;
      if (loaded) resolve(loaded);
      else reject(new Error('The widget script loaded but did not start.'));
    });
    s.addEventListener('error', () => reject(new Error('The widget script could not be loaded from /embed.js.')));
    document.head.append(s);
  });
}

export function snippet(site: string, service = location.origin): string {
  return `<div id="comments"></div>\n<script src="${service}/embed.js" data-site="${site}" async></script>`;
}

/** count.js for article lists: each element with data-marginalia-count (a page key) shows that page's count. */
export function countSnippet(site: string, service = location.origin): string {
  return `<a href="/my-post#comments" data-marginalia-count="/my-post">Comments</a>\n<script src="${service}/count.js" data-site="${site}" async></script>`;
}

function copyButton(text: () => string, label: string): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'copy' }, label);
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text());
      b.textContent = 'Copied';
    } catch {
      b.textContent = 'Select the text and copy it';
    }
    setTimeout(() => (b.textContent = label), 2500);
  });
  return b;
}

function section(id: string, title: string, ...children: (Node | string | null)[]): HTMLElement {
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h3', { id }, title), ...children);
}

/** Where the widget was seen, or the three usual reasons it was not, with how to check each. */
function installCheck(app: App, site: SiteInfo, refresh: () => void): HTMLElement[] {
  if (site.install.seen.length === 0)
    return [
      h('p', { class: 'install-status' }, h('strong', {}, 'Not seen yet.'), ' No page has loaded the widget for this site since it was created. This page checks again every few seconds.'),
      h(
        'ol',
        { class: 'causes' },
        h(
          'li',
          {},
          h('strong', {}, 'The page is on an origin that is not listed. '),
          site.origins.length ? `Listed: ${site.origins.join(', ')}. ` : 'No origin is listed yet. ',
          'Check: open your page, press F12, and type ',
          h('code', {}, 'location.origin'),
          ' in the console; that exact value (scheme, host and port) must be listed. Once the page loads, it shows up here even if it is not listed, so you can add it.',
        ),
        h(
          'li',
          {},
          h('strong', {}, "The page's Content-Security-Policy blocks the script. "),
          'Check: the browser console (F12) says "Refused to load the script" or "Refused to connect". Allow ',
          h('code', {}, location.origin),
          ' in script-src, connect-src and img-src.',
        ),
        h(
          'li',
          {},
          h('strong', {}, 'The snippet has a wrong data-site. '),
          'Check: it must be ',
          h('code', {}, `data-site="${site.id}"`),
          '. In the Network tab (F12), the request to ',
          h('code', {}, `/api/v1/sites/${site.id}/comments`),
          ' answers 200; a 404 there means the id is wrong. No request at all: the script tag is missing or blocked.',
        ),
      ),
    ];
  return [
    h(
      'ul',
      { class: 'seen' },
      site.install.seen.map((s) =>
        h(
          'li',
          { class: s.allowed ? 'ok' : 'warn', 'data-origin': s.origin },
          h('span', {}, `Seen on ${s.origin} `, when(s.lastSeenAt)),
          h('span', { class: 'muted' }, ' · first ', when(s.firstSeenAt)),
          s.allowed
            ? null
            : h(
                'span',
                { class: 'not-allowed' },
                ' — that origin is not allowed: readers there see an error instead of the comments. ',
                app.me.token.role === 'owner'
                  ? h('button', { type: 'button', class: 'allow', onclick: () => void allowOrigin(app, site, s.origin, refresh) }, `Allow ${s.origin}`)
                  : 'An owner can add it in Settings.',
              ),
        ),
      ),
    ),
  ];
}

async function allowOrigin(app: App, site: SiteInfo, origin: string, refresh: () => void): Promise<void> {
  try {
    await api('PATCH', `/sites/${site.id}/settings`, { origins: [...site.origins, origin] });
    app.toast(`${origin} may now use the widget of ${site.id}.`);
    refresh();
  } catch (err) {
    app.toast(err instanceof Error ? err.message : 'Failed', { error: true });
  }
}

/** Deletes every comment the preview left (deleted comments are never public). */
async function removePreviewComments(app: App, site: string): Promise<number> {
  const q = new URLSearchParams({ status: 'all', page: PREVIEW_PAGE, limit: '200' });
  const r = await api<{ items: { id: string; status: string }[] }>('GET', `/sites/${site}/moderation/comments?${q}`);
  const ids = r.items.filter((c) => c.status !== 'deleted').map((c) => c.id);
  if (ids.length) await api('POST', `/sites/${site}/moderation/actions`, { action: 'delete', ids });
  return ids.length;
}

function preview(app: App, site: SiteInfo): HTMLElement {
  const host = h('div', { class: 'preview-widget', id: 'preview-widget' });
  const error = h('p', { class: 'error', role: 'alert' });
  const mount = () =>
    loadWidget().then(
      (w) => w.render(host, { site: site.id, page: PREVIEW_PAGE, theme: 'auto' }),
      (err: Error) => (error.textContent = err.message),
    );
  const remove = h('button', { type: 'button', class: 'danger' }, 'Remove preview comments');
  remove.addEventListener('click', async () => {
    remove.disabled = true;
    try {
      const n = await removePreviewComments(app, site.id);
      app.toast(n ? `Removed ${n} preview comment${n === 1 ? '' : 's'}.` : 'The preview has no comments to remove.');
      await mount();
    } catch (err) {
      app.toast(err instanceof Error ? err.message : 'Failed', { error: true });
    } finally {
      remove.disabled = false;
    }
  });
  void mount();
  return section(
    'preview-title',
    'Preview',
    h(
      'p',
      { class: 'muted' },
      'The widget of this site as your readers get it, running here in the console. Comments posted in the preview go to the page ',
      h('code', {}, PREVIEW_PAGE),
      ' of this site, never under your articles, and through the same moderation. ',
      remove,
    ),
    h('div', { class: 'preview-frame' }, h('p', { class: 'preview-label', 'aria-hidden': 'true' }, 'Preview — not a live page'), host),
    error,
  );
}

export async function renderSitePage(app: App): Promise<void> {
  const id = app.site;
  clear(app.main, h('h2', {}, 'Site'), h('div', { class: 'empty', 'aria-busy': 'true' }, 'Loading…'));
  let site: SiteInfo;
  try {
    site = (await api<{ site: SiteInfo }>('GET', `/sites/${id}`)).site;
  } catch (err) {
    clear(
      app.main,
      h('h2', {}, 'Site'),
      h('div', { class: 'empty error', role: 'alert' }, h('p', {}, err instanceof ApiError && err.status === 404 ? `There is no site ${id} in this token's scope.` : err instanceof Error ? err.message : String(err))),
    );
    return;
  }
  const code = snippet(site.id);
  const counts = countSnippet(site.id);
  const checkBox = h('div', { class: 'install-check', id: 'install-check', 'aria-live': 'polite' });
  const summary = h('p', { class: 'summary' });
  const drawCheck = (s: SiteInfo) => {
    site = s;
    clear(summary, 'Install: ', installSummary(s));
    clear(checkBox, installCheck(app, s, recheck));
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  async function recheck(): Promise<void> {
    clearTimeout(timer);
    try {
      drawCheck((await api<{ site: SiteInfo }>('GET', `/sites/${id}`)).site);
    } catch {
      /* the next check tries again */
    }
    schedule();
  }
  // Asks again only while this page is shown and nothing was seen yet.
  const schedule = () => {
    if (site.install.seen.length === 0) timer = setTimeout(() => (checkBox.isConnected ? void recheck() : undefined), RECHECK_MS);
  };
  drawCheck(site);
  schedule();

  const policy = POLICIES.find(([v]) => v === site.moderation)?.[1] ?? site.moderation;
  clear(
    app.main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/sites' }, 'Sites'), ' / ', site.id),
    h('h2', { id: 'site-title', tabindex: '-1' }, site.name, ' ', h('code', {}, site.id)),
    summary,
    h(
      'p',
      { class: 'muted' },
      site.origins.length
        ? `Allowed origins: ${site.origins.join(', ')}`
        : site.id === 'demo'
          ? "Allowed: this service's own origin (the demo page)"
          : 'No origin is allowed yet: readers cannot post, and the widget cannot read its thread from your pages.',
      ` · ${policy}`,
      app.me.token.role === 'owner' ? [' · ', h('a', { href: '#/settings' }, 'change in Settings')] : null,
    ),
    section(
      'snippet-title',
      'Embed',
      h('p', {}, 'Paste this where the comments should appear, in the template of your articles:'),
      h('pre', { class: 'snippet' }, h('code', { id: 'snippet' }, code)),
      h('div', { class: 'form-actions' }, copyButton(() => code, 'Copy snippet')),
      h(
        'p',
        { class: 'hint' },
        'Each page gets its own thread, keyed by its path; ',
        h('code', {}, 'data-page'),
        ', ',
        h('code', {}, 'data-theme'),
        ' (light, dark, auto) and ',
        h('code', {}, 'data-lang'),
        ' change that. If your pages send a Content-Security-Policy, allow ',
        h('code', {}, location.origin),
        ' in script-src, connect-src and img-src.',
      ),
      h('h4', { id: 'count-title' }, 'Comment counts on article lists'),
      h('p', {}, 'On a page that lists articles, give each link the page key of its article and add this script once:'),
      h('pre', { class: 'snippet' }, h('code', { id: 'count-snippet' }, counts)),
      h('div', { class: 'form-actions' }, copyButton(() => counts, 'Copy count snippet')),
    ),
    section('check-title', 'Install check', checkBox, h('div', { class: 'form-actions' }, h('button', { type: 'button', id: 'check-again', onclick: () => void recheck() }, 'Check again'))),
    preview(app, site),
    canCreateSites(app) ? h('p', {}, h('a', { href: '#/sites' }, 'Add another site')) : null,
  );
  (app.main.querySelector('#site-title') as HTMLElement).focus();
}
