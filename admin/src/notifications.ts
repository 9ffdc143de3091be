// The Notifications section (owners): webhooks and their delivery log with "Send again", and moderators' mail.
import { api, qs, type Schemas } from './api';
import { clear, h, timeAgo } from './dom';
import type { App } from './types';
import { clearFieldErrors, field as formField, showFieldErrors } from './form';

type Settings = Schemas['SiteSettings'];
type Webhook = Settings['webhooks'][number];
type Delivery = Schemas['Delivery'];

const EVENTS: Webhook['events'] = ['comment.created', 'comment.approved', 'comment.status_changed', 'comment.reported', 'comment.edited', 'comment.deleted'];

const when = (iso: string | null) => (iso ? h('time', { datetime: iso, title: new Date(iso).toLocaleString() }, timeAgo(iso)) : h('span', { class: 'muted' }, '—'));

/** A random secret for a new webhook: 32 bytes, hex. */
function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function renderNotifications(app: App): Promise<void> {
  clear(app.main, h('h2', {}, 'Notifications'), h('div', { class: 'empty', 'aria-busy': 'true' }, 'Loading…'));
  let settings: Settings;
  let deliveries: Delivery[];
  try {
    settings = (await api<Schemas['Settings']>('GET', `/sites/${app.site}/settings`)).settings;
    deliveries = (await api<Schemas['Deliveries']>('GET', `/sites/${app.site}/deliveries${qs({ channel: 'webhook', limit: 50 })}`)).items;
  } catch (err) {
    clear(app.main, h('h2', {}, 'Notifications'), h('div', { class: 'empty error', role: 'alert' }, h('p', {}, err instanceof Error ? err.message : String(err))));
    return;
  }
  const save = (patch: Schemas['SettingsChange']) => api('PATCH', `/sites/${app.site}/settings`, patch);

  // ---- webhooks ----
  const hooks = h('ul', { class: 'webhooks' });
  const drawHooks = () =>
    clear(
      hooks,
      settings.webhooks.length
        ? settings.webhooks.map((w, i) =>
            h(
              'li',
              {},
              h('code', {}, w.url),
              h('span', { class: 'muted' }, ` ${w.events.join(', ')} `),
              h('button', {
                type: 'button',
                onclick: async () => {
                  const webhooks = settings.webhooks.filter((_, j) => j !== i);
                  await save({ webhooks });
                  settings.webhooks = webhooks;
                  app.toast('Webhook removed.');
                  drawHooks();
                },
              }, `Remove ${w.url}`),
            ),
          )
        : h('li', { class: 'muted' }, 'No webhooks yet.'),
    );
  drawHooks();

  const errors = new Map<string, HTMLElement>();
  const url = h('input', { type: 'url', placeholder: 'https://hooks.example/marginalia' }) as HTMLInputElement;
  const secret = h('input', { type: 'text', value: newSecret(), spellcheck: 'false' }) as HTMLInputElement;
  const boxes = EVENTS.map((e) => {
    const box = h('input', { type: 'checkbox', value: e, checked: e === 'comment.created' || e === 'comment.approved', id: `ev-${e}` }) as HTMLInputElement;
    return { e, box, el: h('label', { class: 'check', for: `ev-${e}` }, box, ` ${e}`) };
  });
  const status = h('p', { class: 'muted', role: 'status' });
  const add = h(
    'form',
    { class: 'settings', novalidate: true },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Add a webhook'),
      formField(errors, 'url', 'URL', url, 'Must reach a public address; redirects are not followed'),
      h('div', { class: 'field' }, h('span', {}, 'Events'), h('div', { class: 'events' }, boxes.map((b) => b.el))),
      formField(errors, 'secret', 'Secret', secret, 'Signs each delivery (Marginalia-Signature); keep it on the receiving side'),
    ),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add webhook'), status),
  ) as HTMLFormElement;
  add.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(add, errors);
    const hook: Webhook = { url: url.value.trim(), events: boxes.filter((b) => b.box.checked).map((b) => b.e), secret: secret.value };
    const webhooks = [...settings.webhooks, hook];
    try {
      await save({ webhooks });
      settings.webhooks = webhooks;
      url.value = '';
      secret.value = newSecret();
      status.textContent = 'Saved.';
      app.toast('Webhook added.');
      drawHooks();
    } catch (err) {
      // The server names webhooks.<n>.url: the new one is the last.
      const mapped = err as { problem?: { errors?: { path: string }[] } };
      for (const fe of mapped.problem?.errors ?? []) fe.path = fe.path.replace(/^webhooks\.\d+\./, '');
      if (!showFieldErrors(add, errors, err)) status.textContent = err instanceof Error ? err.message : 'Save failed.';
    }
  });

  // ---- delivery log ----
  const rows = h('tbody');
  const drawDeliveries = () =>
    clear(
      rows,
      deliveries.map((d) =>
        h(
          'tr',
          { 'data-delivery': d.deliveryId },
          h('td', {}, when(d.lastAttemptAt ?? d.createdAt)),
          h('td', {}, d.event),
          h('td', {}, h('code', {}, d.url ?? '')),
          h('td', {}, d.state),
          h('td', {}, d.lastStatus === null ? (d.lastError ?? '—') : String(d.lastStatus)),
          h('td', {}, String(d.attempts)),
          h(
            'td',
            {},
            d.state === 'delivered' || d.state === 'failed' || d.state === 'cancelled'
              ? h('button', {
                  type: 'button',
                  onclick: async () => {
                    const r = await api<Schemas['DeliveryResent']>('POST', `/sites/${app.site}/deliveries/${d.id}/resend`);
                    deliveries = deliveries.map((x) => (x.id === d.id ? r.delivery : x));
                    app.toast('Queued to send again.');
                    drawDeliveries();
                  },
                }, 'Send again')
              : null,
          ),
        ),
      ),
    );
  drawDeliveries();
  const log = deliveries.length
    ? h('table', { class: 'table' }, h('thead', {}, h('tr', {}, ['When', 'Event', 'URL', 'State', 'Answer', 'Attempts'].map((t) => h('th', {}, t)), h('th', {}, h('span', { class: 'sr-only' }, 'Actions')))), rows)
    : h('p', { class: 'muted' }, 'No deliveries yet.');

  // ---- moderators' mail ----
  const merrors = new Map<string, HTMLElement>();
  const mods = h('textarea', { rows: '3' }) as HTMLTextAreaElement;
  mods.value = settings.notifications.moderators.map((m) => `${m.email} ${m.on}`).join('\n');
  const digest = h('input', { type: 'number', inputmode: 'numeric', value: String(settings.notifications.digestMinutes) }) as HTMLInputElement;
  const mstatus = h('p', { class: 'muted', role: 'status' });
  const mail = h(
    'form',
    { class: 'settings', novalidate: true },
    h(
      'fieldset',
      {},
      h('legend', {}, 'Moderator mail'),
      formField(merrors, 'notifications.moderators', 'Addresses, one per line, each followed by pending, reported or all', mods, 'e.g. mod@example.com pending'),
      formField(merrors, 'notifications.digestMinutes', 'Digest minutes', digest, '0 sends one mail per comment'),
    ),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save moderator mail'), mstatus),
  ) as HTMLFormElement;
  mail.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(mail, merrors);
    const moderators = mods.value
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => {
        const [email, on = 'pending'] = l.split(/\s+/);
        return { email, on: on as 'pending' | 'reported' | 'all' };
      });
    try {
      await save({ notifications: { moderators, digestMinutes: digest.value.trim() === '' ? (null as unknown as number) : Number(digest.value) } });
      mstatus.textContent = 'Saved.';
      app.toast('Moderator mail saved.');
    } catch (err) {
      const mapped = err as { problem?: { errors?: { path: string }[] } };
      for (const fe of mapped.problem?.errors ?? []) fe.path = fe.path.replace(/^(notifications\.moderators)\.(\d+)\.\w+$/, '$1.$2');
      if (!showFieldErrors(mail, merrors, err)) mstatus.textContent = err instanceof Error ? err.message : 'Save failed.';
    }
  });

  clear(
    app.main,
    h('h2', {}, `Notifications · ${app.site}`),
    h('section', {}, h('h3', {}, 'Webhooks'), hooks, add),
    h('section', {}, h('h3', {}, 'Webhook deliveries'), log),
    h('section', {}, mail),
  );
}
