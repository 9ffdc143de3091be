// The moderation console: sign in with a token, triage the queue from the keyboard, manage the site.
import { api, ApiError, token, UNAUTHORIZED } from './api';
import { clear, h } from './dom';
import { commit, renderQueue, queueKeys } from './queue';
import type { App, Me, View } from './types';
import { renderPages, renderBans, renderLog, renderSettings, renderTokens } from './views';
import { renderSites } from './sites';
import { renderSitePage } from './site-page';
import { renderNotifications } from './notifications';
import { renderTransfer } from './transfer';

const root = document.getElementById('app') as HTMLElement;
const VIEWS: View[] = ['queue', 'pages', 'bans', 'log', 'settings', 'notifications', 'tokens', 'transfer', 'sites', 'site'];
const OWNER_VIEWS: View[] = ['settings', 'notifications', 'tokens', 'transfer'];

function signIn(message?: string): void {
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', placeholder: 'mt_…', 'aria-describedby': 'signin-help' });
  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error' }, message ?? '');
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h(
    'form',
    { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Marginalia'),
    h('p', { class: 'muted' }, 'Moderation console'),
    h('label', { for: 'token' }, 'Owner or moderator token'),
    input,
    h(
      'p',
      { class: 'hint', id: 'signin-help' },
      'The first start wrote an owner token to ',
      h('code', {}, 'data/owner-token'),
      '; ',
      h('code', {}, 'npm run cli -- token create'),
      ' makes more. The token is kept in this tab only.',
    ),
    error,
    button,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const secret = input.value.trim();
    if (!secret) {
      error.textContent = 'Paste a token to sign in.';
      input.focus();
      return;
    }
    button.disabled = true;
    button.textContent = 'Signing in…';
    try {
      const me = await api<Me>('GET', '/me', undefined, secret);
      token.set(secret);
      start(me);
    } catch (err) {
      error.textContent =
        err instanceof ApiError && err.status === 401
          ? 'That token was not accepted: it is wrong or has been revoked. Check that you copied it whole.'
          : err instanceof Error
            ? err.message
            : 'Sign-in failed.';
      button.disabled = false;
      button.textContent = 'Sign in';
      input.select();
    }
  });
  clear(root, h('main', { class: 'signin-page' }, form));
  input.focus();
}

function start(me: Me): void {
  const allSitesOwner = me.token.role === 'owner' && me.token.site === null;
  if (me.sites.length === 0 && !allSitesOwner) {
    token.clear();
    signIn('This token is valid but no site is in its scope. Create a site first: npm run cli -- site create <id>.');
    return;
  }
  const remembered = sessionStorage.getItem('marginalia.site');
  const main = h('main', { id: 'main', tabindex: '-1' });
  const toastBox = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
  const app: App = {
    me,
    site: me.sites.some((s) => s.id === remembered) ? remembered! : (me.sites[0]?.id ?? ''),
    view: me.sites.length ? 'queue' : 'sites', // an owner with no site yet starts by adding one
    root,
    main,
    queue: { status: 'pending', q: '', email: '', page: '', items: [], cursor: null, focus: 0, selected: new Set(), counts: {}, pending: null, loading: false, error: null },
    go(view) {
      app.view = view;
      location.hash = `#/${view}`;
      draw();
    },
    refresh: () => draw(),
    toast(message, opts = {}) {
      const t = h('div', { class: `toast${opts.error ? ' error' : ''}` }, h('span', {}, message));
      if (opts.undo) {
        const undo = opts.undo;
        t.append(h('button', { type: 'button', class: 'link', onclick: () => { undo(); t.remove(); } }, 'Undo (u)'));
      }
      toastBox.replaceChildren(t);
      setTimeout(() => t.remove(), opts.undo ? 5000 : 4000);
    },
    showHelp: () => help(),
  };

  // The queue sends a waiting action when the tab closes (see queue.ts).
  (window as unknown as { __marginaliaApp?: App }).__marginaliaApp = app;

  const nav = h('nav', { class: 'tabs-main', 'aria-label': 'Sections' });
  const header = h('header', { class: 'top' });

  function signOut(message?: string): void {
    commit(app); // an action still in its undo time is sent while the token is still here
    token.clear();
    sessionStorage.removeItem('marginalia.site');
    document.removeEventListener('keydown', onKey);
    window.removeEventListener('hashchange', onHash); // else a later sign-in's page loads twice
    window.removeEventListener(UNAUTHORIZED, onUnauthorized);
    signIn(message);
  }
  function onUnauthorized(): void {
    signOut('Your token is no longer accepted; it may have been revoked. Sign in again with a valid token.');
  }
  window.addEventListener(UNAUTHORIZED, onUnauthorized);

  function drawHeader(): void {
    const switcher =
      me.sites.length > 1
        ? h(
            'select',
            {
              id: 'site-switcher',
              'aria-label': 'Site',
              onchange: (e: Event) => {
                commit(app); // an action waiting on the old site goes there now
                app.site = (e.target as HTMLSelectElement).value;
                sessionStorage.setItem('marginalia.site', app.site);
                app.queue.items = [];
                app.queue.cursor = null;
                app.queue.selected.clear();
                draw();
              },
            },
            me.sites.map((s) => h('option', { value: s.id, selected: s.id === app.site }, s.name === s.id ? s.id : `${s.name} (${s.id})`)),
          )
        : h('span', { class: 'site-name' }, me.sites[0]?.name ?? '');
    clear(
      header,
      h('div', { class: 'brand' }, h('h1', {}, 'Marginalia'), switcher),
      h(
        'div',
        { class: 'who' },
        h('span', { class: 'muted' }, `${me.token.role}${me.token.label ? ` · ${me.token.label}` : ''}`),
        h('button', { type: 'button', class: 'link', onclick: () => help() }, 'Keys (?)'),
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            id: 'sign-out',
            onclick: () => signOut(),
          },
          'Sign out',
        ),
      ),
    );
    const views: [View, string][] = [
      ['queue', 'Queue'],
      ['pages', 'Pages'],
      ['bans', 'Bans'],
      ['log', 'Audit log'],
      ['sites', 'Sites'],
    ];
    if (me.token.role === 'owner')
      views.push(['settings', 'Settings'], ['notifications', 'Notifications'], ['tokens', 'Tokens'], ['transfer', 'Import & export']);
    clear(
      nav,
      views.map(([v, label]) => {
        const current = app.view === v || (v === 'sites' && app.view === 'site');
        return h('a', { href: `#/${v}`, class: current ? 'active' : '', 'aria-current': current ? 'page' : null, 'data-view': v }, label);
      }),
    );
  }

  function draw(): void {
    drawHeader();
    if (OWNER_VIEWS.includes(app.view) && me.token.role !== 'owner') return ownersOnly();
    const render = {
      queue: renderQueue,
      pages: renderPages,
      bans: renderBans,
      log: renderLog,
      settings: renderSettings,
      notifications: renderNotifications,
      tokens: renderTokens,
      transfer: renderTransfer,
      sites: renderSites,
      site: renderSitePage,
    }[app.view];
    void render(app);
  }

  /** A moderator who follows a link to settings or tokens: say so plainly instead of showing the API's 403. */
  function ownersOnly(): void {
    const title = app.view === 'settings' ? 'Settings' : app.view === 'notifications' ? 'Notifications' : app.view === 'tokens' ? 'Tokens' : 'Import & export';
    clear(
      app.main,
      h('h2', {}, title),
      h(
        'div',
        { class: 'empty owners-only' },
        h('p', { class: 'big' }, 'Owners only'),
        h('p', {}, `${title} can be seen and changed with an owner token. This console is signed in with a moderator token.`),
        h('p', {}, h('a', { href: '#/queue' }, 'Back to the queue')),
      ),
    );
    app.main.focus();
  }

  function help(): void {
    const keys: [string, string][] = [
      ['j / k', 'next / previous comment'],
      ['a', 'approve'],
      ['A', 'approve and trust the author'],
      ['r', 'reject'],
      ['s', 'spam'],
      ['d', 'delete'],
      ['e', 'restore'],
      ['f', 'feature / unfeature'],
      ['b', 'ban the author'],
      ['p', "the author's comments on the site (Person)"],
      ['x', 'select for a bulk action'],
      ['u', 'undo the last action'],
      ['/', 'search'],
      ['g then p r s a j d f', 'go to pending, reported, spam, approved, rejected (j), deleted, featured'],
      ['?', 'this help'],
      ['Esc', 'close'],
    ];
    // Focus goes back where it was, so j/k and the action keys carry on from the same comment.
    const before = document.activeElement as HTMLElement | null;
    const close = () => {
      dialog.remove();
      if (before?.isConnected) before.focus();
    };
    const dialog = h(
      'div',
      { class: 'overlay', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'help-title', onclick: (e: Event) => e.target === dialog && close() },
      h(
        'div',
        { class: 'dialog' },
        h('h2', { id: 'help-title' }, 'Keyboard shortcuts'),
        h('dl', { class: 'keys' }, keys.flatMap(([k, d]) => [h('dt', {}, h('kbd', {}, k)), h('dd', {}, d)])),
        h('button', { type: 'button', class: 'primary', id: 'help-close', onclick: close }, 'Close'),
      ),
    );
    dialog.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' || e.key === '?') {
        e.preventDefault();
        e.stopPropagation();
        close();
      }
    });
    root.append(dialog);
    (dialog.querySelector('#help-close') as HTMLElement).focus();
  }

  function onKey(e: KeyboardEvent): void {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    // The element itself, also inside the preview widget's shadow root (e.target is its host there).
    const target = (e.composedPath()[0] ?? e.target) as HTMLElement;
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable;
    if (typing) {
      if (e.key === 'Escape') target.blur();
      return;
    }
    if (root.querySelector('.overlay')) return;
    if (e.key === '?') {
      e.preventDefault();
      help();
      return;
    }
    if (app.view === 'queue' && queueKeys(app, e)) e.preventDefault();
  }
  document.addEventListener('keydown', onKey);

  function onHash(): void {
    const v = location.hash.replace(/^#\//, '') as View;
    if (v !== app.view && VIEWS.includes(v)) {
      app.view = v;
      draw();
    }
  }
  window.addEventListener('hashchange', onHash);
  const initial = location.hash.replace(/^#\//, '') as View;
  if (VIEWS.includes(initial)) app.view = initial;

  clear(root, h('a', { href: '#main', class: 'skip' }, 'Skip to content'), header, nav, main, toastBox);
  draw();
}

async function boot(): Promise<void> {
  const secret = token.get();
  if (!secret) return signIn();
  try {
    start(await api<Me>('GET', '/me'));
  } catch (err) {
    token.clear();
    signIn(err instanceof ApiError && err.status === 401 ? 'Your token is no longer accepted; it may have been revoked. Sign in again.' : undefined);
  }
}

void boot();
