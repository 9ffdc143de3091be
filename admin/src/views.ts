// The other sections: pages (close/open), bans, audit log, settings (owners), tokens (owners).
import { api, ApiError, qs, type Schemas } from './api';
import { clear, h, timeAgo } from './dom';
import type { App } from './types';
import { clearFieldErrors, field as formField, showFieldErrors } from './form';
import { POLICIES } from './sites';

function loading(app: App, title: string): void {
  clear(app.main, h('h2', {}, title), h('div', { class: 'empty', 'aria-busy': 'true' }, 'Loading…'));
}

function failed(app: App, title: string, err: unknown, retry: () => void): void {
  clear(
    app.main,
    h('h2', {}, title),
    h('div', { class: 'empty error', role: 'alert' }, h('p', {}, err instanceof Error ? err.message : String(err)), h('button', { type: 'button', onclick: retry }, 'Try again')),
  );
}

/** Column headings; the button column ('') is named for screen readers only. */
const tableHead = (labels: string[]) =>
  h('thead', {}, h('tr', {}, labels.map((t) => h('th', {}, t || h('span', { class: 'sr-only' }, 'Actions')))));

const when = (iso: string | null) => (iso ? h('time', { datetime: iso, title: new Date(iso).toLocaleString() }, timeAgo(iso)) : h('span', { class: 'muted' }, '—'));

type PageRow = Schemas['ModeratedPage'];

export async function renderPages(app: App, query = ''): Promise<void> {
  loading(app, 'Pages');
  let data: Schemas['Pages'];
  try {
    data = await api<Schemas['Pages']>('GET', `/sites/${app.site}/moderation/pages${qs({ q: query, limit: 100 })}`);
  } catch (err) {
    return failed(app, 'Pages', err, () => void renderPages(app, query));
  }
  const search = h('input', { type: 'search', placeholder: 'Find a page by key or title', 'aria-label': 'Find a page', value: query });
  const form = h('form', { class: 'filters' }, search, h('button', { type: 'submit' }, 'Find'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void renderPages(app, search.value.trim());
  });
  const pageRow = (p: PageRow) => {
    const toggle = h('button', { type: 'button', class: p.closed ? 'primary' : '', 'data-page': p.key }, p.closed ? 'Open comments' : 'Close comments');
    toggle.addEventListener('click', async () => {
      toggle.disabled = true;
      try {
        await api('PATCH', `/sites/${app.site}/moderation/pages`, { page: p.key, closed: !p.closed } satisfies Schemas['PageChange']);
        app.toast(`${p.closed ? 'Opened' : 'Closed'} comments on ${p.title ?? p.key}.`);
        void renderPages(app, query);
      } catch (err) {
        app.toast(err instanceof Error ? err.message : 'Failed', { error: true });
        toggle.disabled = false;
      }
    });
    const queueLink = h('button', {
      type: 'button',
      class: 'link',
      onclick: () => {
        app.queue.page = p.key;
        app.queue.items = [];
        app.queue.loadedFor = undefined;
        app.go('queue');
      },
    }, `${p.pendingCount} pending`);
    const cell = h('td', {});
    const editButton = h('button', { type: 'button', class: 'link', 'aria-label': `Edit title and URL of ${p.title ?? p.key}` }, 'Edit title and URL');
    const show = () =>
      clear(
        cell,
        p.url && /^https?:/i.test(p.url) ? h('a', { href: p.url, target: '_blank', rel: 'noopener noreferrer' }, p.title ?? p.key) : p.title ?? p.key,
        h('div', {}, h('code', {}, p.key), p.metadataLocked ? h('span', { class: 'muted', title: "Readers' posts no longer change the title and URL" }, ' · set by a moderator') : null),
        editButton,
      );
    const cancel = () => {
      show();
      editButton.focus();
    };
    editButton.addEventListener('click', () => clear(cell, h('code', {}, p.key), pageForm(app, p, cancel, () => void renderPages(app, query))));
    show();
    return h(
      'tr',
      {},
      cell,
      h('td', { class: 'num' }, String(p.approvedCount)),
      h('td', { class: 'num' }, queueLink),
      h('td', {}, p.closed ? h('span', { class: 'badge' }, 'closed') : h('span', { class: 'muted' }, 'open')),
      h('td', {}, toggle),
    );
  };
  const body = h('tbody', {}, data.items.map(pageRow));
  let cursor = data.nextCursor;
  const more = h('button', { type: 'button', class: 'more', hidden: !cursor }, 'Load more');
  more.addEventListener('click', async () => {
    more.disabled = true;
    try {
      const next = await api<Schemas['Pages']>('GET', `/sites/${app.site}/moderation/pages${qs({ q: query, cursor, limit: 100 })}`);
      body.append(...next.items.map(pageRow));
      cursor = next.nextCursor;
      more.hidden = !cursor;
    } catch (err) {
      app.toast(err instanceof Error ? err.message : 'Failed', { error: true });
    } finally {
      more.disabled = false;
    }
  });
  clear(
    app.main,
    h('h2', {}, 'Pages'),
    form,
    data.items.length
      ? [h('table', { class: 'table' }, tableHead(['Page', 'Approved', 'Pending', 'Comments', '']), body), more]
      : h('div', { class: 'empty' }, h('p', {}, query ? 'No page matches.' : 'No pages yet: a page appears with its first comment.')),
  );
  app.main.focus();
}

/** A page's title and URL as a moderator sets them: errors beside each field, Escape or Cancel puts the row back. */
let pageForms = 0;
function pageForm(app: App, p: PageRow, cancel: () => void, saved: () => void): HTMLFormElement {
  const n = ++pageForms; // more than one row may be open for editing
  const id = (name: string) => `page-${n}-${name}`;
  const title = h('input', { type: 'text', id: id('title'), name: 'title', maxlength: '300', value: p.title ?? '', 'aria-describedby': id('title-error') });
  const url = h('input', { type: 'url', id: id('url'), name: 'url', maxlength: '2048', value: p.url ?? '', placeholder: 'https://…', 'aria-describedby': id('url-error') });
  const errors = { title: h('p', { class: 'field-error', id: id('title-error'), role: 'alert' }), url: h('p', { class: 'field-error', id: id('url-error'), role: 'alert' }) };
  const summary = h('p', { class: 'error', role: 'alert' });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
  const form = h(
    'form',
    { class: 'page-form', novalidate: true, 'aria-label': `Title and URL of ${p.key}` },
    h('div', { class: 'field' }, h('label', { for: title.id }, 'Title'), title, errors.title),
    h('div', { class: 'field' }, h('label', { for: url.id }, 'URL'), url, errors.url),
    h('p', { class: 'hint muted' }, "Once saved here, readers' posts no longer change them."),
    summary,
    h('div', { class: 'form-actions' }, save, h('button', { type: 'button', onclick: cancel }, 'Cancel')),
  );
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      cancel();
    }
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const [name, el] of Object.entries(errors)) {
      el.textContent = '';
      form.querySelector(`#${id(name)}`)?.removeAttribute('aria-invalid');
    }
    summary.textContent = '';
    save.disabled = true;
    try {
      const change = { page: p.key, title: title.value.trim() || null, url: url.value.trim() || null } satisfies Schemas['PageChange'];
      const r = await api<Schemas['PageChanged']>('PATCH', `/sites/${app.site}/moderation/pages`, change);
      app.toast(`Saved the title and URL of ${r.page.title ?? r.page.key}.`);
      saved();
    } catch (err) {
      save.disabled = false;
      const fields = err instanceof ApiError ? (err.problem.errors ?? []) : [];
      let first: HTMLElement | null = null;
      for (const fe of fields) {
        const el = errors[fe.path as keyof typeof errors];
        if (!el) continue;
        el.textContent = fe.message.replace(/^[a-z]/, (c) => c.toUpperCase());
        const control = fe.path === 'title' ? title : url;
        control.setAttribute('aria-invalid', 'true');
        first ??= control;
      }
      if (first) first.focus();
      else summary.textContent = err instanceof Error ? err.message : 'Save failed.';
    }
  });
  queueMicrotask(() => title.focus());
  return form;
}

export async function renderBans(app: App): Promise<void> {
  loading(app, 'Bans');
  let data: Schemas['Bans'];
  try {
    data = await api<Schemas['Bans']>('GET', `/sites/${app.site}/moderation/bans`);
  } catch (err) {
    return failed(app, 'Bans', err, () => void renderBans(app));
  }
  const email = h('input', { type: 'email', required: true, placeholder: 'someone@example.com', 'aria-label': 'E-mail to ban', id: 'ban-email' });
  const reason = h('input', { type: 'text', placeholder: 'Reason (optional)', 'aria-label': 'Reason' });
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'filters' }, email, reason, h('button', { type: 'submit', class: 'danger' }, 'Ban e-mail'), error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('POST', `/sites/${app.site}/moderation/bans`, {
        email: email.value.trim(),
        ...(reason.value.trim() ? { reason: reason.value.trim() } : {}),
      } satisfies Schemas['NewBan']);
      app.toast(`Banned ${email.value.trim()}.`);
      void renderBans(app);
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.problem.errors?.map((x) => `${x.path}: ${x.message}`).join('; ') || err.message : String(err);
    }
  });
  const now = Date.now();
  const rows = data.items.map((b) =>
    h(
      'tr',
      {},
      h('td', {}, b.kind === 'email' ? 'e-mail' : 'address'),
      h('td', {}, h('code', {}, b.kind === 'ip' ? `${b.value.slice(0, 12)}…` : b.value)),
      h('td', {}, b.reason ?? h('span', { class: 'muted' }, '—')),
      h('td', {}, b.expiresAt ? (Date.parse(b.expiresAt) < now ? h('span', { class: 'muted' }, 'expired') : `until ${new Date(b.expiresAt).toLocaleString()}`) : 'for good'),
      h('td', {}, when(b.createdAt)),
      h('td', {}, h('button', {
        type: 'button',
        onclick: async () => {
          try {
            await api('DELETE', `/sites/${app.site}/moderation/bans/${b.id}`);
            app.toast('Ban lifted.');
            void renderBans(app);
          } catch (err) {
            app.toast(err instanceof Error ? err.message : 'Failed', { error: true });
          }
        },
      }, 'Lift')),
    ),
  );
  clear(
    app.main,
    h('h2', {}, 'Bans'),
    h('p', { class: 'muted' }, 'To ban the author of a comment, use "Ban author" on it in the queue: that bans their e-mail and their address without showing it.'),
    form,
    rows.length
      ? h('table', { class: 'table' }, tableHead(['Kind', 'Banned', 'Reason', 'Lasts', 'Since', '']), h('tbody', {}, rows))
      : h('div', { class: 'empty' }, h('p', {}, 'Nobody is banned.')),
  );
}

export async function renderLog(app: App): Promise<void> {
  loading(app, 'Audit log');
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'more' }, 'Load more');
  let cursor: string | null = null;
  const page = async () => {
    const data = await api<Schemas['AuditLog']>('GET', `/sites/${app.site}/moderation/log${qs({ cursor, limit: 100 })}`);
    cursor = data.nextCursor;
    more.hidden = !cursor;
    for (const a of data.items)
      body.append(
        h(
          'tr',
          {},
          h('td', {}, when(a.createdAt)),
          h('td', {}, a.actor.type === 'token' ? a.actor.label || a.actor.id : a.actor.type === 'mail' ? `${a.actor.address} (mail link)` : a.actor.type),
          h('td', {}, a.action),
          h('td', {}, `${a.from ?? '—'} → ${a.to}`),
          h('td', {}, h('code', {}, a.commentId)),
          h('td', {}, a.reason ?? ''),
        ),
      );
    return data.items.length;
  };
  try {
    const n = await page();
    more.addEventListener('click', () => void page());
    clear(
      app.main,
      h('h2', {}, 'Audit log'),
      n
        ? [h('table', { class: 'table' }, tableHead(['When', 'Who', 'Action', 'Status', 'Comment', 'Reason']), body), more]
        : h('div', { class: 'empty' }, h('p', {}, 'Nothing has happened yet.')),
    );
  } catch (err) {
    failed(app, 'Audit log', err, () => void renderLog(app));
  }
}

type Settings = Schemas['SiteSettings'];
/** A numeric setting by its path: `maxLinks`, or `limits.bodyMax` inside a group. */
type NumberPath = {
  [K in keyof Settings]: Settings[K] extends number ? K : Settings[K] extends Record<string, number> ? `${K}.${keyof Settings[K] & string}` : never;
}[keyof Settings];

const NUMBERS: [NumberPath, string, string][] = [
  ['maxLinks', 'Hold comments with this many links', '0 turns it off'],
  ['minSubmitSeconds', 'Minimum seconds between opening the form and posting', 'faster is spam; 0 turns the check off'],
  ['floodSeconds', 'Seconds between two posts from one address', ''],
  ['reportThreshold', 'Reports that send an approved comment back to pending', ''],
  ['editWindowMinutes', 'Minutes an author may edit or delete', ''],
  ['maxDepth', 'Deepest reply level shown', ''],
  ['closeAfterDays', 'Close pages this many days after their first comment', '0 = never'],
  ['limits.nameMax', 'Longest name (characters)', ''],
  ['limits.bodyMax', 'Longest comment (characters)', ''],
  ['rateLimits.postsPerMinute', 'Posts per minute per address', ''],
  ['rateLimits.reportsPerHour', 'Reports per hour per address', ''],
  ['rateLimits.readsPerMinute', 'Reads per minute per address', ''],
  ['rateLimits.moderationPerMinute', 'Moderation requests per minute per token', ''],
  ['rateLimits.votesPerMinute', 'Votes per minute per address', ''],
];

const get = (s: Settings, path: NumberPath): number =>
  path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], s) as number;

export async function renderSettings(app: App): Promise<void> {
  loading(app, 'Settings');
  let settings: Settings;
  try {
    settings = (await api<Schemas['Settings']>('GET', `/sites/${app.site}/settings`)).settings;
  } catch (err) {
    return failed(app, 'Settings', err, () => void renderSettings(app));
  }
  const errors = new Map<string, HTMLElement>();
  const field = (name: string, label: string, control: HTMLElement, hint = '') => formField(errors, name, label, control, hint);
  const origins = h('textarea', { rows: '3' }) as HTMLTextAreaElement;
  origins.value = settings.origins.join('\n');
  const words = h('textarea', { rows: '3' }) as HTMLTextAreaElement;
  words.value = settings.blockedWords.join('\n');
  const policy = h(
    'select',
    {},
    POLICIES.map(([v, l]) => h('option', { value: v, selected: settings.moderation === v }, l)),
  );
  const votes = h(
    'select',
    {},
    ([['off', 'Off'], ['up', 'Upvotes only'], ['updown', 'Upvotes and downvotes']] as const).map(([v, l]) => h('option', { value: v, selected: settings.votes === v }, l)),
  );
  const numbers = NUMBERS.map(([path, label, hint]) => {
    const input = h('input', { type: 'number', inputmode: 'numeric', value: String(get(settings, path)) });
    return { path, input, el: field(path, label, input, hint) };
  });
  const status = h('p', { class: 'muted', role: 'status' });
  const save = h('button', { type: 'submit', class: 'primary' }, 'Save settings');
  const form = h(
    'form',
    { class: 'settings', novalidate: true },
    h('fieldset', {}, h('legend', {}, 'Who may post'), field('origins', 'Allowed origins, one per line', origins, 'e.g. https://blog.example — pages on these origins may post'), field('moderation', 'Moderation policy', policy), field('votes', 'Votes', votes, 'Readers vote with a random key their browser keeps; Best sorts by votes')),
    h('fieldset', {}, h('legend', {}, 'Rules'), field('blockedWords', 'Blocked words, one per line', words, 'Whole words, any case or accent; a match holds the comment'), numbers.slice(0, 7).map((n) => n.el)),
    h('fieldset', {}, h('legend', {}, 'Limits'), numbers.slice(7).map((n) => n.el)),
    h('div', { class: 'form-actions' }, save, status),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form, errors);
    const patch = {
      origins: origins.value.split('\n').map((s) => s.trim()).filter(Boolean),
      moderation: (policy as HTMLSelectElement).value as Settings['moderation'],
      votes: (votes as HTMLSelectElement).value as Settings['votes'],
      blockedWords: words.value.split('\n').map((s) => s.trim()).filter(Boolean),
      limits: {},
      rateLimits: {},
    } satisfies Schemas['SettingsChange'];
    for (const n of numbers) {
      const raw = n.input.value.trim();
      // An empty box is sent as null, which the server refuses beside the field.
      const value = raw === '' ? null : Number(raw);
      const [a, b] = n.path.split('.');
      const target = (b ? patch[a as 'limits' | 'rateLimits'] : patch) as Record<string, number | null>;
      target[b ?? a] = value;
    }
    save.disabled = true;
    status.textContent = 'Saving…';
    try {
      await api('PATCH', `/sites/${app.site}/settings`, patch);
      status.textContent = 'Saved.';
      app.toast('Settings saved.');
    } catch (err) {
      status.textContent = '';
      if (showFieldErrors(form, errors, err)) status.textContent = 'Some settings need fixing; nothing was saved.';
      else status.textContent = err instanceof Error ? err.message : 'Save failed.';
    } finally {
      save.disabled = false;
    }
  });
  clear(app.main, h('h2', {}, `Settings · ${app.site}`), form);
}

export async function renderTokens(app: App): Promise<void> {
  loading(app, 'Tokens');
  let data: Schemas['Tokens'];
  try {
    data = await api<Schemas['Tokens']>('GET', '/tokens');
  } catch (err) {
    return failed(app, 'Tokens', err, () => void renderTokens(app));
  }
  const role = h('select', { 'aria-label': 'Role', id: 'token-role' }, h('option', { value: 'moderator' }, 'Moderator'), h('option', { value: 'owner' }, 'Owner'));
  const scope = h(
    'select',
    { 'aria-label': 'Scope', id: 'token-scope' },
    h('option', { value: app.site }, `Site ${app.site}`),
    app.me.token.site === null ? h('option', { value: '' }, 'Every site') : null,
  );
  const label = h('input', { type: 'text', placeholder: 'Label, e.g. who it is for', 'aria-label': 'Label', id: 'token-label', maxlength: '100' });
  const shown = h('div', { class: 'secret', role: 'status' });
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'filters' }, role, scope, label, h('button', { type: 'submit', class: 'primary' }, 'Create token'), error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      const r = await api<Schemas['TokenCreated']>('POST', '/tokens', {
        role: (role as HTMLSelectElement).value as Schemas['NewToken']['role'],
        site: (scope as HTMLSelectElement).value || null,
        label: label.value.trim(),
      } satisfies Schemas['NewToken']);
      await renderTokens(app);
      const box = app.main.querySelector('.secret');
      if (box)
        clear(
          box,
          h('p', {}, h('strong', {}, 'Copy this token now; it will not be shown again:')),
          h('code', { class: 'token-secret' }, r.token),
          h('button', {
            type: 'button',
            class: 'copy',
            onclick: (ev: Event) => {
              const b = ev.currentTarget as HTMLButtonElement;
              navigator.clipboard?.writeText(r.token).then(
                () => (b.textContent = 'Copied'),
                () => (b.textContent = 'Select the token and copy it'),
              );
            },
          }, 'Copy'),
        );
    } catch (err) {
      error.textContent = err instanceof Error ? err.message : 'Failed';
    }
  });
  const rows = data.items.map((t) =>
    h(
      'tr',
      { class: t.revokedAt ? 'revoked' : '' },
      h('td', {}, t.label || h('span', { class: 'muted' }, '(no label)'), h('div', {}, h('code', {}, t.id))),
      h('td', {}, t.role),
      h('td', {}, t.site ?? 'every site'),
      h('td', {}, when(t.createdAt)),
      h('td', {}, when(t.lastUsedAt)),
      h(
        'td',
        {},
        t.revokedAt
          ? h('span', { class: 'muted' }, 'revoked')
          : t.id === app.me.token.id
            ? h('span', { class: 'muted' }, 'this session')
            : h('button', {
                type: 'button',
                class: 'danger',
                onclick: async () => {
                  try {
                    await api('DELETE', `/tokens/${t.id}`);
                    app.toast('Token revoked; it stops working at once.');
                    void renderTokens(app);
                  } catch (err) {
                    app.toast(err instanceof Error ? err.message : 'Failed', { error: true });
                  }
                },
              }, 'Revoke'),
      ),
    ),
  );
  clear(
    app.main,
    h('h2', {}, 'Tokens'),
    form,
    shown,
    h('table', { class: 'table' }, tableHead(['Token', 'Role', 'Scope', 'Created', 'Last used', '']), h('tbody', {}, rows)),
  );
}
