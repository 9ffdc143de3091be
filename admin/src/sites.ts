// The Sites view: every site the token covers (origins, policy, comments by status, last activity, install check)
// and, for owners of all sites, the New site form with the reason beside each invalid field.
import { api, ApiError } from './api';
import { clearFieldErrors, field, showFieldErrors } from './form';
import { clear, h, timeAgo } from './dom';
import type { App } from './types';

export interface SiteInfo {
  id: string;
  name: string;
  origins: string[];
  moderation: 'all' | 'first-time' | 'none';
  createdAt: string;
  counts: Record<string, number>;
  lastActivityAt: string | null;
  install: { seen: { origin: string; allowed: boolean; firstSeenAt: string; lastSeenAt: string }[] };
}

export const POLICIES: [SiteInfo['moderation'], string][] = [
  ['first-time', 'First-time authors wait for approval'],
  ['all', 'Every comment waits for approval'],
  ['none', 'Publish at once (rules still hold suspicious ones)'],
];

export const when = (iso: string) => h('time', { datetime: iso, title: new Date(iso).toLocaleString() }, timeAgo(iso));

/** Only an owner whose token covers every site may add one (the server says so too). */
export const canCreateSites = (app: App) => app.me.token.role === 'owner' && app.me.token.site === null;

/** Opens a site's page: it becomes the console's current site, as if picked in the switcher. */
export function openSite(app: App, site: { id: string; name: string }): void {
  if (!app.me.sites.some((s) => s.id === site.id)) app.me.sites.push({ id: site.id, name: site.name });
  app.site = site.id;
  sessionStorage.setItem('marginalia.site', site.id);
  app.queue.items = [];
  app.queue.loadedFor = undefined;
  app.go('site');
}

const lines = (text: string) => text.split('\n').map((s) => s.trim()).filter(Boolean);

function newSiteForm(app: App): HTMLFormElement {
  const id = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: '40', placeholder: 'blog', required: true });
  const name = h('input', { type: 'text', maxlength: '100', placeholder: 'My blog' });
  const origins = h('textarea', { rows: '2', spellcheck: 'false', placeholder: 'https://blog.example' });
  const policy = h('select', {}, POLICIES.map(([v, l]) => h('option', { value: v, selected: v === 'first-time' }, l)));
  const errors = new Map<string, HTMLElement>();
  const fields = [
    field(errors, 'id', 'Site id', id, 'The data-site of the snippet: 2–40 of a–z, 0–9 and -. It cannot be changed later.'),
    field(errors, 'name', 'Name', name, 'Shown in this console; the id if left empty.'),
    field(errors, 'origins', 'Allowed origins, one per line', origins, 'Where your pages live: scheme, host and port, e.g. https://blog.example. Readers may post only from these.'),
    field(errors, 'moderation', 'Moderation policy', policy),
  ];
  const status = h('p', { class: 'muted', role: 'status' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create site');
  const form = h(
    'form',
    { class: 'settings new-site', novalidate: true, 'aria-labelledby': 'new-site-title' },
    h('fieldset', {}, h('legend', { id: 'new-site-title' }, 'New site'), fields),
    h('div', { class: 'form-actions' }, submit, status),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form, errors);
    const body: Record<string, unknown> = { id: id.value.trim(), origins: lines(origins.value), moderation: (policy as HTMLSelectElement).value };
    if (name.value.trim()) body.name = name.value;
    submit.disabled = true;
    status.textContent = 'Creating…';
    try {
      const r = await api<{ site: SiteInfo }>('POST', '/sites', body);
      app.toast(`Site ${r.site.id} created. Paste its snippet into your pages.`);
      openSite(app, r.site);
    } catch (err) {
      status.textContent = '';
      if (err instanceof ApiError && err.status === 409) {
        errors.get('id')!.textContent = `A site with the id ${body.id} already exists; choose another.`;
        id.setAttribute('aria-invalid', 'true');
        id.focus();
      } else if (showFieldErrors(form, errors, err)) status.textContent = 'Some fields need fixing; nothing was created.';
      else status.textContent = err instanceof Error ? err.message : 'The site was not created.';
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** "seen on https://blog.example 2 min ago", the most recent load; what the list and the site page both say first. */
export function installSummary(site: SiteInfo): HTMLElement {
  const last = site.install.seen[0];
  if (!last) return h('span', { class: 'install none' }, 'not seen yet');
  return h('span', { class: `install ${last.allowed ? 'ok' : 'warn'}` }, `seen on ${last.origin} `, when(last.lastSeenAt), last.allowed ? '' : ' (origin not allowed)');
}

const COUNTS: [string, string][] = [
  ['pending', 'pending'],
  ['approved', 'approved'],
  ['spam', 'spam'],
  ['reported', 'reported'],
];

function siteRow(app: App, s: SiteInfo): HTMLElement {
  const policy = POLICIES.find(([v]) => v === s.moderation)?.[1] ?? s.moderation;
  return h(
    'tr',
    { 'data-site': s.id },
    h('td', {}, h('strong', {}, s.name), h('div', {}, h('code', {}, s.id))),
    h(
      'td',
      {},
      s.origins.length ? h('ul', { class: 'plain' }, s.origins.map((o) => h('li', {}, o))) : null,
      // Site demo always accepts the service's own origin, for the demo page.
      s.id === 'demo' ? h('span', { class: 'muted' }, 'this service (demo page)') : s.origins.length ? null : h('span', { class: 'badge' }, 'no origin yet'),
    ),
    h('td', {}, policy),
    h('td', { class: 'num' }, COUNTS.map(([k, label]) => h('div', {}, `${s.counts[k] ?? 0} ${label}`))),
    h('td', {}, s.lastActivityAt ? when(s.lastActivityAt) : h('span', { class: 'muted' }, 'none yet')),
    h('td', {}, installSummary(s)),
    h('td', {}, h('button', { type: 'button', class: 'open-site', onclick: () => openSite(app, s) }, 'Embed & check')),
  );
}

export async function renderSites(app: App): Promise<void> {
  clear(app.main, h('h2', {}, 'Sites'), h('div', { class: 'empty', 'aria-busy': 'true' }, 'Loading…'));
  let items: SiteInfo[];
  try {
    items = (await api<{ items: SiteInfo[] }>('GET', '/sites')).items;
  } catch (err) {
    clear(
      app.main,
      h('h2', {}, 'Sites'),
      h('div', { class: 'empty error', role: 'alert' }, h('p', {}, err instanceof Error ? err.message : String(err)), h('button', { type: 'button', onclick: () => void renderSites(app) }, 'Try again')),
    );
    return;
  }
  const table = items.length
    ? h(
        'table',
        { class: 'table sites' },
        h('thead', {}, h('tr', {}, ['Site', 'Origins', 'Policy', 'Comments', 'Last activity', 'Install', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, items.map((s) => siteRow(app, s))),
      )
    : h('div', { class: 'empty' }, h('p', {}, 'No site yet.'));
  clear(
    app.main,
    h('h2', {}, 'Sites'),
    table,
    canCreateSites(app)
      ? newSiteForm(app)
      : h('p', { class: 'muted' }, 'Only an owner token for all sites can add a site (or run npm run cli -- site create on the server).'),
  );
  app.main.focus();
}
