// One mounted comment thread: the count, the threaded list, the form, and the reader's own comments.
// Written as one closure rather than a class so the minifier can shorten every internal name (size budget).
import {
  api as apiAt,
  type CommentEdit,
  type Edited,
  type Featured,
  type FormToken,
  type NewComment,
  type NewReport,
  type Posted,
  type Problem,
  type PublicComment,
  type Reply,
  retryAfter,
  type Thread,
  type Vote,
  type VoteTotals,
} from './api';
import { h, safeHtml } from './dom';
import { fill, strings } from './i18n';
import { keepOwnComment, keepVote, loadIdentity, myVote, ownComment, ownPending, saveIdentity, voterKey } from './storage';
import { ago, fullDate } from './time';
import { checkBody, checkDraft, type Field, normaliseWebsite } from './validate';
import css from './widget.css';

export interface Options {
  site: string;
  page?: string;
  theme?: string;
  lang?: string;
  /** `oldest` (the default), `newest` or `best` first; the reader can switch. */
  sort?: string;
  /** Origin of the Marginalia service; defaults to where embed.js was loaded from. */
  api?: string;
}

type Control = HTMLInputElement | HTMLTextAreaElement;
type Errors = [string, string][];
type El = HTMLElement;
interface ReplyTarget {
  id: string;
  button: El;
}

/** The content-hashed copy of widget.css the service serves beside embed.js (scripts/build-embed.js). */
declare const __MG_CSS__: string;

let sheet: CSSStyleSheet | undefined;
let uid = 0;

/**
 * Constructable stylesheets are not subject to a page's style-src CSP. Without them, a <style> element
 * would be blocked by a strict CSP; a stylesheet from the service that serves embed.js is allowed wherever
 * the script is (the page lists the service in style-src as in script-src).
 */
function styles(base: string): Node | null {
  if ('adoptedStyleSheets' in ShadowRoot.prototype && 'replaceSync' in CSSStyleSheet.prototype) {
    if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(css);
    return null;
  }
  return h('link', { rel: 'stylesheet', href: base + '/embed/' + __MG_CSS__ });
}

function applyTheme(el: El, theme: string | undefined, signal: AbortSignal): void {
  if (theme != 'auto') return void el.classList.toggle('dark', theme == 'dark');
  const mq = matchMedia('(prefers-color-scheme: dark)');
  const set = () => el.classList.toggle('dark', mq.matches);
  set();
  mq.addEventListener('change', set, { signal });
}

const btn = (label: string, onclick: (e: Event) => void, cls = 'link') =>
  h('button', { type: 'button', class: 'btn ' + cls, onclick }, label);

/** "author.name" → "name": the problem's path names the form field by its last segment. */
const lastSegment = (p: unknown) => String(p).split(/[./,]/).pop() || '';
const enc = encodeURIComponent;

export async function mountThread(root: ShadowRoot, o: Options, signal: AbortSignal): Promise<void> {
  const base = o.api || location.origin;
  const [lang, t] = await strings(base, o.lang, signal);
  if (signal.aborted) return; // replaced by a newer render while the catalogue loaded
  let sort = o.sort == 'newest' || o.sort == 'best' ? o.sort : 'oldest';
  const call = apiAt(base, signal);
  const sitePath = '/sites/' + enc(o.site);
  const pageKey = o.page || location.pathname;
  const thread = o.site + ' ' + pageKey;
  const id = 'mg' + ++uid + '-';
  const inputs = {} as Record<Field, Control>;
  const errs = {} as Record<Field, El>;
  const labels = {} as Record<Field, string>;
  let count = 0;
  let cursor: string | null = null;
  let maxDepth = 5;
  let closed = false;
  /** The latest item at each display depth: where the next, deeper item nests. */
  let last: El[] = [];
  let parent: ReplyTarget | null = null;
  let token: Promise<string | undefined> | null = null;
  let busy = false;
  /** The site's vote setting, from the thread answer. */
  let votes = 'off';
  /** Comments that arrived live, waiting behind the "N new comments" button; null: the thread must be reloaded. */
  let fresh: PublicComment[] | null = [];

  // ---- the form ----

  const field = (k: Field, label: string, input: Control, required: boolean) => {
    const err = h('p', { class: 'err', id: id + k + '-err' });
    input.id = id + k;
    input.name = k;
    input.required = required;
    input.setAttribute('aria-describedby', err.id);
    inputs[k] = input;
    errs[k] = err;
    labels[k] = label;
    return h('div', { class: 'f' },
      h('label', { for: input.id }, label, required && h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')),
      input, err);
  };

  let hp: HTMLInputElement, remember: HTMLInputElement, notify: HTMLInputElement, formMsg: El, submitBtn: El, cancelReplyBtn: El;
  let mineMsg: El;
  const formTitle = h('h3', { id: id + 'title' }, t.title);
  const section = h('section', { class: 'respond' }, formTitle,
    h('form', {
      novalidate: true, 'aria-labelledby': formTitle.id,
      onsubmit: (e) => void submit(e),
      onfocusin: () => void formToken(),
      onkeydown: (e) => (e as KeyboardEvent).key == 'Escape' && parent && cancelReply(true),
    },
      h('p', { class: 'note' }, t.note),
      field('body', t.body, h('textarea', { rows: 5 }), true),
      h('div', { class: 'row' },
        field('name', t.name, h('input', { type: 'text', autocomplete: 'name' }), true),
        field('email', t.email, h('input', { type: 'email', autocomplete: 'email' }), true),
        field('website', t.website, h('input', { type: 'url', autocomplete: 'url', inputmode: 'url' }), false)),
      // The honeypot: invisible and unreachable for people and assistive technology; bots fill it.
      h('div', { class: 'hp', 'aria-hidden': 'true' },
        h('label', null, 'Leave this field empty',
          (hp = h('input', { type: 'text', name: 'hp', tabindex: -1, autocomplete: 'off' })))),
      h('div', { class: 'check' },
        (remember = h('input', { type: 'checkbox', id: id + 'remember' })),
        h('label', { for: id + 'remember' }, t.remember)),
      // Shown only when the service sends mail (it says so at /notifications).
      h('div', { class: 'check mail', hidden: true },
        (notify = h('input', { type: 'checkbox', id: id + 'notify' })),
        h('label', { for: id + 'notify' }, t.notify)),
      (formMsg = h('p', { class: 'msg', role: 'alert', 'aria-live': 'assertive' })),
      h('div', { class: 'actions' },
        (submitBtn = h('button', { type: 'submit', class: 'btn primary' }, t.post)),
        (cancelReplyBtn = btn(t.cancelReply, () => cancelReply(true))))),
    h('p', { class: 'mail', hidden: true }, btn(t.mine, () => void askForMine(), 'ghost')),
    (mineMsg = h('p', { class: 'msg', role: 'status', 'aria-live': 'polite' })));
  cancelReplyBtn.hidden = true;
  void call<{ mail: boolean }>('GET', sitePath + '/notifications').then(
    (r) => r.data && r.data.mail && section.querySelectorAll<El>('.mail').forEach((el) => (el.hidden = false)),
    () => {},
  );

  /** "My comments": a mail with a link to a page listing the reader's comments, sent to the address in the form. */
  async function askForMine(): Promise<void> {
    const email = inputs.email.value.trim();
    if (!email) {
      mineMsg.textContent = t.mineNeedsEmail;
      inputs.email.focus();
      return;
    }
    const r = await send(() => call('POST', sitePath + '/my-comments', { email }), mineMsg);
    if (r) mineMsg.textContent = r.status == 202 ? t.mineSent : problemText(r);
  }

  const me = loadIdentity();
  if (me) {
    inputs.name.value = me.name || '';
    inputs.email.value = me.email || '';
    inputs.website.value = me.website || '';
    remember.checked = true;
  }

  // ---- the frame ----

  const heading = h('h2', { tabindex: -1 }, t.loading);
  const retry = btn(t.retry, () => load(null), 'ghost');
  const live = h('p', { class: 'sr', role: 'status', 'aria-live': 'polite' });
  const list = h('ol', { class: 'list', 'aria-label': t.list });
  const more = btn(t.more, () => load(cursor), 'ghost more');
  const moreMsg = h('p', { class: 'msg', role: 'alert' });
  const sorts = h('div', { class: 'sort', role: 'group', 'aria-label': t.sort });
  const feat = h('section', { class: 'feat', 'aria-label': t.featured });
  const freshBtn = btn('', () => showFresh(), 'primary fresh');
  const wrap = h('div', { class: 'mg', lang }, h('div', { class: 'top' }, heading, sorts, retry), live, feat, freshBtn, list, more, moreMsg, section);
  retry.hidden = more.hidden = feat.hidden = freshBtn.hidden = true;
  applyTheme(wrap, o.theme, signal);
  const link = styles(base);
  if (sheet) root.adoptedStyleSheets = [sheet];
  root.replaceChildren(...(link ? [link] : []), wrap);

  // One timer keeps every relative time current ("just now" becomes "2 minutes ago").
  const tick = setInterval(() => {
    root.querySelectorAll('time').forEach((el) => (el.textContent = ago(el.dateTime, lang)));
  }, 30_000);
  signal.addEventListener('abort', () => clearInterval(tick));

  const announce = (msg: string) => {
    live.textContent = '';
    setTimeout(() => (live.textContent = msg), 60);
  };

  const setCount = () => {
    heading.textContent = fill(new Intl.PluralRules(lang).select(count) == 'one' ? t.one : t.many, { n: count });
  };

  /** Runs a request; a network failure becomes the "could not reach" message in `out` (the reader's text stays). */
  const send = async <T>(f: () => Promise<Reply<T>>, out: El | null): Promise<Reply<T> | null> => {
    try {
      return await f();
    } catch {
      if (out && !signal.aborted) out.textContent = t.net;
      return null;
    }
  };

  /** Field errors and a summary for a problem+json answer (SPEC §6). */
  const problem = (r: Reply): [Errors, string] => {
    const d: Partial<Problem> = (r.data as Problem | null) || {};
    if (r.status == 429) {
      const n = retryAfter(r.headers);
      return [[], n ? fill(t.rate, { n }) : d.detail || fill(t.rate, { n: 60 })];
    }
    if (r.status == 400 && Array.isArray(d.errors) && d.errors.length) {
      return [d.errors.map((e) => {
        const k = lastSegment(e.path) as Field;
        const m = String(e.message);
        // Our own words for the codes we know; else the server's: "must be …" beside the field reads "Email must be …".
        const own = ({
          required: t.required,
          too_long: e.limit! > 0 && fill(t.tooLong, { n: e.limit! }),
          invalid_email: t.badEmail,
          invalid_url: t.badUrl,
          control_characters: t.badChars,
          direction_override: t.badChars,
          invalid_text: t.badChars,
        } as Record<string, string | false>)[e.code!];
        return [k, own || (/^[a-z]/.test(m) && labels[k] ? labels[k] + ' ' + m : m).replace(/[^.!?]$/, '$&.')];
      }), t.fix];
    }
    const own = ({ 'page-closed': t.closed, 'edit-window-closed': t.editGone, 'duplicate-comment': t.dup, banned: t.banned } as Record<string, string>)[
      String(d.type).split(':').pop()!];
    return [[], own || (r.status < 500 && typeof d.detail == 'string' && d.detail) || t.fail];
  };

  const problemText = (r: Reply) => {
    const [fields, msg] = problem(r);
    return fields.length ? fields.map((f) => f[1]).join(' ') : msg;
  };

  /** Shows each error beside its field (the rest in the form message) and moves focus to the first bad field. */
  const showErrors = (fields: Errors, msg: string) => {
    const rest: string[] = [];
    let first: Control | undefined;
    for (const k in errs) {
      errs[k as Field].textContent = '';
      inputs[k as Field].removeAttribute('aria-invalid');
    }
    for (const [path, m] of fields) {
      const k = path as Field;
      if (errs[k]) {
        errs[k].textContent = m;
        inputs[k].setAttribute('aria-invalid', 'true');
        first ||= inputs[k];
      } else rest.push(m);
    }
    formMsg.textContent = [msg, ...rest].filter(Boolean).join(' ');
    if (first) first.focus();
  };

  // ---- reading ----

  async function load(from: string | null): Promise<void> {
    const q = new URLSearchParams({ page: pageKey });
    if (sort != 'oldest') q.set('sort', sort);
    if (from) q.set('cursor', from);
    retry.hidden = true;
    moreMsg.textContent = '';
    if (!from) heading.textContent = t.loading;
    const r = await send(() => call<Thread>('GET', `${sitePath}/comments?${q}`), null);
    const d = r && r.status == 200 && r.data;
    if (!d || !Array.isArray(d.comments)) {
      if (signal.aborted) return;
      if (from) moreMsg.textContent = t.loadFail;
      else {
        heading.textContent = t.loadFail;
        retry.hidden = false;
      }
      return;
    }
    maxDepth = d.maxDepth > 0 ? d.maxDepth : 5;
    if (!from) {
      votes = d.votes || 'off';
      drawSorts();
      fresh = [];
      freshBtn.hidden = true;
      void loadFeatured();
      closed = !!(d.page && d.page.closed);
      count = d.page && d.page.commentCount >= 0 ? d.page.commentCount : d.comments.length;
      list.replaceChildren();
      last = [];
      if (closed) section.replaceWith(h('p', { class: 'closed' }, t.closed));
    }
    let first: El | undefined;
    for (const c of d.comments) {
      const li = item(c, false);
      place(li, Math.min(c.depth || 0, maxDepth));
      first ||= li;
    }
    // The reader's own comments still in moderation are not in the list; show them where they belong.
    if (!from) for (const c of ownPending(thread)) if (!byId(c.id)) attach(item(c, true), c.parentId);
    cursor = d.nextCursor || null;
    more.hidden = !cursor;
    setCount();
    // After "Load more", the reader continues at the first comment that arrived.
    if (from && first) first.focus();
  }

  function place(li: El, depth: number): void {
    const d = Math.min(depth, last.length);
    li.dataset.depth = String(d);
    (d ? replies(last[d - 1]) : list).append(li);
    last[d] = li;
    last.length = d + 1;
  }

  /** What each item shows now, so a live update can tell a vote from an edit. */
  const shown = new WeakMap<El, PublicComment>();

  const byId = (cid: string | null) => cid && list.querySelector<El>(`li[data-id="${CSS.escape(cid)}"]`);

  /** Puts a new own comment under its parent (beside it at the depth cap), or at the end of the thread. */
  function attach(li: El, parentId: string | null): void {
    const p = byId(parentId);
    const pd = p ? +(p.dataset.depth || 0) : -1;
    const depth = Math.min(pd + 1, maxDepth);
    li.dataset.depth = String(depth);
    // A new top-level comment goes where the sort puts it: at the end, or first when the newest lead.
    if (!p) sort == 'newest' ? list.prepend(li) : list.append(li);
    else if (depth > pd) replies(p).append(li);
    else p.after(li);
  }

  const replies = (li: El): El => li.querySelector(':scope>ol') || li.appendChild(h('ol', { class: 'replies' }));

  // ---- one comment ----

  function item(c: PublicComment, pending: boolean): El {
    const li = h('li', { tabindex: -1, 'data-id': c.id });
    li.append(card(c, pending, li));
    return li;
  }

  function card(c: PublicComment, pending: boolean, li: El): El {
    shown.set(li, c);
    const a = c.deleted ? null : c.author;
    const own = ownComment(c.id);
    const web = a && a.website && /^https?:\/\//i.test(a.website) ? a.website : null;
    const body = h('div', { class: 'body' }, a ? safeHtml(c.html || '') : h('p', { class: 'gone' }, t.deleted));
    const actions = h('div', { class: 'actions' });
    const panel = h('div', { class: 'panel' });
    const el = h('article', { class: 'card', 'aria-label': a ? a.name : t.deleted },
      h('div', { class: 'head' },
        avatar(a && a.avatar),
        h('div', { class: 'meta' },
          a && h('span', { class: 'author' },
            web ? h('a', { href: web, rel: 'nofollow ugc noopener noreferrer', target: '_blank' }, a.name) : a.name),
          h('span', { class: 'when' },
            h('time', { datetime: c.createdAt, title: fullDate(c.createdAt, lang) }, ago(c.createdAt, lang)),
            c.editedAt && ' · ' + t.edited))),
      body,
      pending && h('p', { class: 'pending' }, t.pending),
      actions,
      panel);

    if (a && !pending && votes != 'off') actions.append(voteBox(c, !!own));
    if (a && !pending && !closed) {
      // "Reply to Maya": the visible word first, and unambiguous among many Reply buttons for screen readers.
      const reply = btn(t.reply, () => startReply(c, li, reply));
      reply.setAttribute('aria-label', fill(t.replyTo, { name: a.name }));
      actions.append(reply);
    }
    if (own) {
      const edit = btn(t.edit, () => editComment(c, pending, li, el, body, panel, edit));
      const del = btn(t.del, () => confirmDelete(c, pending, li, panel, del));
      actions.append(edit, del);
      // Hide what the server would refuse once the window closes.
      setTimeout(() => (edit.remove(), del.remove()), own.until - Date.now());
    } else if (a && !pending) {
      const rep = btn(t.report, () => report(c, panel, rep));
      actions.append(rep);
    }
    return el;
  }

  /** The service's own identicon; anything pointing elsewhere is dropped (no third-party requests). */
  function avatar(src: string | null | undefined): El {
    try {
      const u = new URL(src || '', base);
      if (src && u.origin == new URL(base).origin) {
        return h('img', { class: 'av', src: u.href, alt: '', width: 40, height: 40, loading: 'lazy' });
      }
    } catch {
      /* fall through to the blank avatar */
    }
    return h('span', { class: 'av' });
  }

  /** A small form inside a comment (edit, delete, report): Escape or Cancel closes it and returns focus. */
  function panelForm(panel: El, back: El, label: string, onsubmit: (msg: El) => void, kids: Node[], onClose?: () => void): El {
    const msg = h('p', { class: 'msg', role: 'alert' });
    const close = () => {
      panel.replaceChildren();
      if (onClose) onClose();
      back.focus();
    };
    const form = h('form', {
      novalidate: true,
      onsubmit: (e) => (e.preventDefault(), onsubmit(msg)),
      onkeydown: (e) => (e as KeyboardEvent).key == 'Escape' && close(),
    }, ...kids, msg, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn primary' }, label), btn(t.cancel, close)));
    panel.replaceChildren(form);
    return form;
  }

  function expired(back: El): void {
    announce(t.editGone);
    back.parentElement!.querySelectorAll('button').forEach((b) => b.textContent != t.reply && b.remove());
  }

  function editComment(c: PublicComment, pending: boolean, li: El, el: El, body: El, panel: El, back: El): void {
    const own = ownComment(c.id);
    if (!own) return expired(back);
    const ta = h('textarea', { id: id + 'edit-' + c.id, rows: 5, required: true });
    ta.value = own.body;
    panelForm(panel, back, t.save, async (msg) => {
      const bad = checkBody(ta.value, t);
      if (bad) return void ((msg.textContent = bad), ta.focus());
      const r = await send(() => call<Edited>('PATCH', '/comments/' + enc(c.id), { body: ta.value } satisfies CommentEdit, own.token), msg);
      if (!r) return;
      if (r.status != 200 || !r.data) return void (msg.textContent = problemText(r));
      keepOwnComment(c.id, { ...own, body: ta.value, pending: own.pending && r.data.comment });
      li.replaceChild(card(r.data.comment, pending, li), el);
      li.focus();
      announce(t.saved);
    }, [h('label', { for: ta.id, class: 'sr' }, t.editLabel), ta], () => (body.hidden = false));
    body.hidden = true;
    ta.focus();
  }

  function confirmDelete(c: PublicComment, pending: boolean, li: El, panel: El, back: El): void {
    const own = ownComment(c.id);
    if (!own) return expired(back);
    panelForm(panel, back, t.del, async (msg) => {
      const r = await send(() => call('DELETE', '/comments/' + enc(c.id), undefined, own.token), msg);
      if (!r) return;
      if (r.status != 204 && r.status != 200) return void (msg.textContent = problemText(r));
      keepOwnComment(c.id, null);
      // With replies below it, the comment stays as a placeholder, as the server shows it.
      const sub = li.querySelector(':scope>ol');
      if (sub && sub.firstChild) li.replaceChild(card({ ...c, deleted: true, author: null }, false, li), li.firstChild!);
      else li.remove();
      if (!pending) count--, setCount();
      heading.focus();
      announce(t.delDone);
    }, [h('p', null, t.confirmDel)]).querySelector('button')!.focus();
  }

  function report(c: PublicComment, panel: El, back: El): void {
    const sid = id + 'reason-' + c.id;
    const sel = h('select', { id: sid }, ...(['spam', 'abuse', 'off-topic', 'other'] as const satisfies readonly NewReport['reason'][]).map((v) => h('option', { value: v }, t[v])));
    const note = h('input', { type: 'text', id: sid + 'n', maxlength: 500 });
    panelForm(panel, back, t.send, async (msg) => {
      const r = await send(() => call('POST', '/comments/' + enc(c.id) + '/reports',
        { reason: sel.value as NewReport['reason'], note: note.value.trim() || undefined } satisfies NewReport), msg);
      if (!r) return;
      if (r.status >= 300) return void (msg.textContent = problemText(r));
      const done = h('p', { class: 'done', tabindex: -1 }, t.reported);
      panel.replaceChildren(done);
      back.remove();
      done.focus();
    }, [
      h('div', { class: 'f' }, h('label', { for: sid }, t.reason), sel),
      h('div', { class: 'f' }, h('label', { for: sid + 'n' }, t.details), note),
    ]);
    sel.focus();
  }

  // ---- sorting, votes, featured ----

  function drawSorts(): void {
    sorts.replaceChildren(...(['best', 'newest', 'oldest'] as const).filter((k) => k != 'best' || votes != 'off').map((k) =>
      h('button', { type: 'button', class: 'btn link', 'aria-pressed': String(k == sort), onclick: () => k != sort && ((sort = k), load(null)) }, t[k])));
  }

  /** ▲ n (and ▼ n where the site counts downvotes); the reader's own comments show the counts without buttons. */
  function voteBox(c: PublicComment, own: boolean): El {
    const box = h('span', { class: 'votes', 'data-votes': c.id });
    const paint = (x: Pick<PublicComment, 'upvotes' | 'downvotes'>) => {
      const mine = myVote(c.id);
      // Repainted in place (a vote, or someone else's arriving live): focus stays on the same button.
      const focus = [...box.children].indexOf(root.activeElement!);
      box.replaceChildren(...((votes == 'updown' ? [1, -1] : [1]) as Vote['value'][]).map((v) => {
        const n = v > 0 ? x.upvotes : x.downvotes;
        // Named "Upvote 3" for screen readers; the arrow is decoration.
        return h('button', {
          type: 'button', class: 'btn link vote', disabled: own, 'aria-pressed': String(mine == v),
          onclick: () => void cast(v == mine ? 0 : v),
        }, h('span', { class: 'sr' }, v > 0 ? t.up : t.down), h('span', { 'aria-hidden': 'true' }, v > 0 ? '▲' : '▼'), h('span', { class: 'n' }, ' ' + n));
      }));
      if (focus >= 0) (box.children[focus] as El).focus();
    };
    const cast = async (value: Vote['value']) => {
      const r = await send(() => call<VoteTotals>('POST', '/comments/' + enc(c.id) + '/votes', { value } satisfies Vote, undefined, voterKey()), live);
      if (!r) return;
      if (r.status != 200 || !r.data) return announce(problemText(r));
      keepVote(c.id, r.data.myVote);
      // Every copy of the comment (thread and Featured block) shows the new totals.
      root.querySelectorAll<El & { paint?: typeof paint }>(`[data-votes="${CSS.escape(c.id)}"]`).forEach((el) => el.paint && el.paint(r.data!));
    };
    (box as El & { paint?: typeof paint }).paint = paint;
    paint(c);
    return box;
  }

  async function loadFeatured(): Promise<void> {
    const r = await send(() => call<Featured>('GET', `${sitePath}/featured?page=${enc(pageKey)}`), null);
    const items = r && r.status == 200 && r.data && r.data.comments;
    feat.hidden = !items || !items.length;
    feat.replaceChildren(...(items && items.length ? [h('h3', null, t.featured), h('ol', null, ...items.map((c) => item(c, false)))] : []));
  }

  // ---- live updates ----

  /** Shows the comments that arrived live, where they belong; or reloads when the stream said it lost track. */
  function showFresh(): void {
    const got = fresh;
    freshBtn.hidden = true;
    if (!got) return void load(null);
    fresh = [];
    let first: El | undefined;
    for (const c of got) {
      if (byId(c.id)) continue;
      const li = item(c, false);
      attach(li, c.parentId);
      first ||= li;
      count++;
    }
    setCount();
    if (first) first.focus();
  }

  /** A comment that changed: its copies are redrawn in place (or removed), a waiting one is replaced. */
  function updated(c: PublicComment & { deleted: boolean }): void {
    // One still waiting behind the button: replaced, or dropped when it left public view.
    if (fresh) fresh = fresh.flatMap((x) => (x.id != c.id ? [x] : c.deleted ? [] : [c]));
    let feature = false;
    root.querySelectorAll<El>(`li[data-id="${CSS.escape(c.id)}"]`).forEach((li) => {
      const old = li.firstElementChild!;
      const was = shown.get(li)!;
      feature ||= was.featured != c.featured;
      const box = old.querySelector<El & { paint?: (x: PublicComment) => void }>('[data-votes]');
      if (!c.deleted && was.html == c.html && box && box.paint) {
        // Only the counts changed: repaint them, so a reader's focus and open forms stay where they are.
        box.paint(c);
        shown.set(li, c);
      } else if (!c.deleted) li.replaceChild(card(c, false, li), old);
      else if (li.querySelector(':scope>ol>li')) li.replaceChild(card({ ...was, deleted: true, author: null }, false, li), old);
      else {
        if (list.contains(li)) count--;
        li.remove();
      }
    });
    if (feature) void loadFeatured();
    setCount();
  }

  function stream(): void {
    let es: EventSource | null = null;
    let lastId = '';
    let inView = false;
    const check = () => {
      const want = inView && document.visibilityState == 'visible' && !signal.aborted;
      if (want && !es) {
        es = new EventSource(`${base}/api/v1${sitePath}/stream?page=${enc(pageKey)}${lastId ? '&lastEventId=' + enc(lastId) : ''}`);
        const on = (name: string, f: (d: PublicComment) => void) =>
          es!.addEventListener(name, (e) => {
            const m = e as MessageEvent;
            if (m.lastEventId) lastId = m.lastEventId;
            try {
              f(JSON.parse(m.data));
            } catch {
              /* a frame we cannot read is skipped */
            }
          });
        on('comment', (c) => {
          if (!fresh || byId(c.id) || fresh.some((x) => x.id == c.id)) return;
          fresh.push(c);
          const n = fresh.length;
          freshBtn.textContent = fill(new Intl.PluralRules(lang).select(n) == 'one' ? t.newOne : t.newMany, { n });
          freshBtn.hidden = false;
        });
        on('update', updated);
        on('reset', () => {
          fresh = null;
          lastId = '';
          freshBtn.textContent = t.refresh;
          freshBtn.hidden = false;
        });
      } else if (!want && es) {
        // Out of view or in a hidden tab: no open connection; it resumes from the last event when it returns.
        es.close();
        es = null;
      }
    };
    const io = new IntersectionObserver((entries) => {
      inView = entries[entries.length - 1].isIntersecting;
      check();
    });
    io.observe(wrap);
    document.addEventListener('visibilitychange', check, { signal });
    signal.addEventListener('abort', () => (io.disconnect(), check()));
  }

  // ---- writing ----

  function startReply(c: PublicComment, li: El, button: El): void {
    parent = { id: c.id, button };
    li.firstElementChild!.after(section);
    formTitle.textContent = fill(t.replyTo, { name: c.author ? c.author.name : '' });
    cancelReplyBtn.hidden = false;
    inputs.body.focus();
  }

  function cancelReply(focusBack: boolean): void {
    const p = parent;
    parent = null;
    formTitle.textContent = t.title;
    cancelReplyBtn.hidden = true;
    wrap.append(section);
    if (focusBack && p) p.button.focus();
  }

  /** The form token is fetched once the reader starts on the form; a failed fetch is retried on submit. */
  function formToken(): Promise<string | undefined> {
    const forget = () => void (token = null);
    return (token ||= call<FormToken>('POST', sitePath + '/form-token').then((r) => (r.data && r.data.formToken) || forget(), forget));
  }

  async function submit(e: Event): Promise<void> {
    e.preventDefault();
    if (busy) return;
    inputs.website.value = normaliseWebsite(inputs.website.value.trim());
    const d = { body: inputs.body.value, name: inputs.name.value.trim(), email: inputs.email.value.trim(), website: inputs.website.value };
    const bad = checkDraft(d, t);
    if (bad.length) return showErrors(bad, t.fix);
    showErrors([], '');
    busy = true;
    submitBtn.textContent = t.posting;
    submitBtn.setAttribute('aria-disabled', 'true');
    const to = parent;
    const canonical = document.querySelector<HTMLLinkElement>('link[rel=canonical]');
    try {
      const formTokenValue = await formToken();
      const r = await send(() => call<Posted>('POST', sitePath + '/comments', {
        page: pageKey,
        // The service takes a page URL only on the site's origins: a canonical link elsewhere (AMP, a mirror) is not sent.
        pageUrl: (canonical && canonical.href.startsWith(location.origin + '/') ? canonical.href : location.origin + location.pathname).slice(0, 2048),
        pageTitle: document.title.slice(0, 300) || undefined,
        parentId: to ? to.id : undefined,
        name: d.name,
        email: d.email,
        website: d.website || undefined,
        body: d.body,
        hp: hp.value || undefined,
        formToken: formTokenValue,
        notify: notify.checked || undefined,
      } satisfies NewComment, undefined, voterKey()), formMsg);
      if (r && r.status == 201 && r.data && r.data.comment) posted(r.data, d, to);
      else if (r) showErrors(...problem(r));
    } finally {
      busy = false;
      submitBtn.textContent = t.post;
      submitBtn.removeAttribute('aria-disabled');
    }
  }

  function posted(data: Posted, d: { body: string; name: string; email: string; website: string }, to: ReplyTarget | null): void {
    const pending = data.status != 'approved';
    if (data.editToken) {
      keepOwnComment(data.comment.id, {
        token: data.editToken, until: Date.parse(data.editableUntil), body: d.body,
        thread, pending: pending ? data.comment : undefined,
      });
    }
    saveIdentity(remember.checked ? { name: d.name, email: d.email, website: d.website } : null);
    const li = item(data.comment, pending);
    if (to) cancelReply(false);
    attach(li, to && to.id);
    if (!pending) count++, setCount();
    inputs.body.value = '';
    token = null;
    li.focus();
    announce(pending ? t.pending : t.posted);
  }

  void load(null);
  stream();
}
