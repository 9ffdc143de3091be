// Reply mail, end to end against a real SMTP server on loopback: double opt-in, mail only when a reply is approved,
// batching per thread (with `now` passed in), one-click and per-thread unsubscribe, and no address anywhere public.
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/receivers';
import { approve, linkTo, listUnsubscribe, local, openPage, storedRow, storedRows, submit } from '../helpers/notify';

let server: TestServer;
let smtp: SmtpReceiver;

beforeEach(async () => {
  smtp = await startSmtpReceiver();
  server = await startTestServer({
    env: { LOG_LEVEL: 'debug', SMTP_URL: smtp.url, MAIL_FROM: 'Demo <comments@demo.example>', PUBLIC_URL: 'https://comments.example' },
  });
  await configure(server, { ...fastPosting, moderation: 'all' });
});
afterEach(async () => {
  await server.stop();
  await smtp.stop();
});

const ADA = 'ada.lovelace@example.com';
const post = async (over: Record<string, unknown>) => {
  const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput(over) });
  if (r.status !== 201) throw new Error(`post failed: ${r.status} ${r.text}`);
  return r.body.comment.id as string;
};
const subscriberState = async () => (await storedRow(server, 'SELECT state FROM subscribers'))?.state as string | undefined;

/** Ada posts with "notify me", confirms from the mail; her comment is approved. Returns its id. */
async function adaSubscribed(page = '/post'): Promise<string> {
  const id = await post({ page, name: 'Ada', email: ADA, notify: true });
  await server.notifier.runOnce();
  const [confirm] = await smtp.waitFor(1);
  const opened = await openPage(local(server, linkTo(confirm, '/notify/confirm')[0]));
  expect((await submit(server, opened.form!)).status).toBe(200);
  await approve(server, [id]);
  await server.notifier.runOnce();
  smtp.mails.length = 0;
  return id;
}

describe('double opt-in', () => {
  it('sends one confirmation mail, in text and HTML from one template; GET shows a form, only its POST confirms', async () => {
    await post({ name: 'Ada', email: ADA, notify: true });
    await server.notifier.runOnce();
    const [mail] = await smtp.waitFor(1);
    expect(mail.to).toEqual([ADA]);
    expect(mail.parsed.from?.value).toEqual([{ name: 'Demo', address: 'comments@demo.example' }]);
    expect(mail.parsed.subject).toBe('Confirm reply notifications from Demo');
    const url = linkTo(mail, '/notify/confirm')[0];
    expect(url.startsWith('https://comments.example/notify/confirm?t=')).toBe(true); // links are on PUBLIC_URL
    expect(mail.parsed.html).toContain(url.replace(/&/g, '&amp;'));
    expect(mail.parsed.text).toContain('Nothing will be sent until you confirm.');
    expect(mail.parsed.html).toContain('Nothing will be sent until you confirm.');
    expect(mail.parsed.messageId).toMatch(/^<dlv_[0-9A-Z]{26}@comments\.example>$/);

    const opened = await openPage(local(server, url));
    expect(opened.status).toBe(200);
    expect(await subscriberState()).toBe('pending'); // a scanner fetching the link confirms nothing
    const done = await submit(server, opened.form!);
    expect(done.status).toBe(200);
    expect(done.html).toContain('Your address is confirmed');
    expect(await subscriberState()).toBe('confirmed');
    expect(await storedRow(server, 'SELECT confirmed_at FROM subscribers')).toEqual({ confirmed_at: expect.any(Number) });
  });

  it('sends at most one confirmation per address and site a day', async () => {
    await post({ name: 'Ada', email: ADA, notify: true, body: 'one' });
    await post({ name: 'Ada', email: ADA.toUpperCase(), notify: true, body: 'two' });
    await server.notifier.runOnce();
    await smtp.waitFor(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.mails).toHaveLength(1);
    // A day later, still unconfirmed, asking again sends another.
    await post({ name: 'Ada', email: ADA, notify: true, body: 'three' });
    await server.notifier.runOnce(Date.now() + 24 * 60 * 60_000 + 1000);
    await smtp.waitFor(2);
  });

  it('refuses a forged or altered confirmation link with a page, changing nothing', async () => {
    await post({ name: 'Ada', email: ADA, notify: true });
    await server.notifier.runOnce();
    const [mail] = await smtp.waitFor(1);
    const t = new URL(linkTo(mail, '/notify/confirm')[0]).searchParams.get('t')!;
    const [body, mac] = t.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), s: 'other' })).toString('base64url');
    for (const bad of [`${forged}.${mac}`, `${body}.${mac.slice(0, -2)}xx`, 'nonsense', '']) {
      const r = await submit(server, { action: '/notify/confirm', fields: { t: bad } });
      expect(r.status).toBe(410);
      expect(r.html).toContain('This link is not valid or has expired.');
    }
    expect(await subscriberState()).toBe('pending');
  });

  it('without SMTP_URL shows no mail feature and sends nothing, and posting with notify still works', async () => {
    const plain = await startTestServer({ env: { LOG_LEVEL: 'warn' } });
    try {
      expect((await call(plain, 'GET', '/api/v1/sites/demo/notifications')).body).toEqual({ mail: false });
      const r = await call(plain, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ notify: true, ...{} }) });
      expect(r.status).toBe(201);
      await plain.notifier.runOnce();
      expect(await storedRow(plain, 'SELECT count(*) AS n FROM outbox')).toEqual({ n: 0 });
      const ask = await call(plain, 'POST', '/api/v1/sites/demo/my-comments', { body: { email: 'x@example.com' } });
      expect(ask.status).toBe(404);
    } finally {
      await plain.stop();
    }
    expect((await call(server, 'GET', '/api/v1/sites/demo/notifications')).body).toEqual({ mail: true });
  });
});

describe('reply mail', () => {
  it('goes out when a reply is approved, never while it is pending, rejected or spam, nor for the reader’s own reply', async () => {
    const parent = await adaSubscribed();
    const pending = await post({ parentId: parent, name: 'Bob', email: 'bob@example.com', body: 'A pending reply' });
    const rejected = await post({ parentId: parent, name: 'Eve', email: 'eve@example.com', body: 'A rejected reply' });
    const spam = await post({ parentId: parent, name: 'Mal', email: 'mal@example.com', body: 'A spam reply' });
    const own = await post({ parentId: parent, name: 'Ada', email: ADA, body: 'Ada answers herself' });
    await approve(server, [rejected], 'reject');
    await approve(server, [spam], 'spam');
    await approve(server, [own]);
    await server.notifier.runOnce();
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.mails).toHaveLength(0);

    await approve(server, [pending]);
    await server.notifier.runOnce();
    const [mail] = await smtp.waitFor(1);
    expect(mail.to).toEqual([ADA]);
    expect(mail.parsed.subject).toBe('New reply on “/post”');
    for (const part of [mail.parsed.text!, mail.parsed.html as string]) {
      expect(part).toContain('Bob');
      expect(part).toContain('A pending reply');
      expect(part).not.toContain('bob@example.com');
      expect(part).not.toContain('A rejected reply');
    }
    // RFC 8058: a signed one-click URL and the header that says POST works.
    expect(mail.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
    expect(new URL(listUnsubscribe(mail)).pathname).toBe('/notify/unsubscribe');
    expect(linkTo(mail, '/notify/unsubscribe')).toHaveLength(2); // this thread, and the whole site

    // Approving it again later (after a reject) does not tell Ada twice.
    await approve(server, [pending], 'reject');
    await approve(server, [pending]);
    await server.notifier.runOnce(Date.now() + 60 * 60_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.mails).toHaveLength(1);
  });

  it('sends at most one mail per address and thread in 10 minutes; later replies wait and arrive together', async () => {
    const parent = await adaSubscribed();
    const t0 = Date.now();
    const first = await post({ parentId: parent, name: 'Bob', email: 'bob@example.com', body: 'First reply' });
    await approve(server, [first]);
    await server.notifier.runOnce(t0);
    await smtp.waitFor(1);

    const second = await post({ parentId: parent, name: 'Cy', email: 'cy@example.com', body: 'Second reply' });
    await approve(server, [second]);
    await server.notifier.runOnce(t0 + 60_000);
    const third = await post({ parentId: parent, name: 'Di', email: 'di@example.com', body: 'Third reply' });
    await approve(server, [third]);
    await server.notifier.runOnce(t0 + 2 * 60_000);
    await server.notifier.runOnce(t0 + 10 * 60_000 - 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.mails).toHaveLength(1);

    await server.notifier.runOnce(t0 + 10 * 60_000);
    const mails = await smtp.waitFor(2);
    expect(mails[1].parsed.subject).toBe('2 new replies on “/post”');
    expect(mails[1].parsed.text).toContain('Second reply');
    expect(mails[1].parsed.text).toContain('Third reply');
    expect(mails[1].parsed.text).not.toContain('First reply');
    expect(await storedRow(server, `SELECT count(*) AS n FROM outbox WHERE topic = 'reply'`)).toEqual({ n: 2 });
  });

  it('stops all reply mail from the site after a one-click POST to the List-Unsubscribe URL', async () => {
    const parent = await adaSubscribed();
    const reply = await post({ parentId: parent, name: 'Bob', email: 'bob@example.com' });
    await approve(server, [reply]);
    await server.notifier.runOnce();
    const [mail] = await smtp.waitFor(1);
    // What a mail client does (RFC 8058 §3.1): POST, form-encoded, the one fixed field, no cookies.
    const r = await fetch(local(server, listUnsubscribe(mail)), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(r.status).toBe(200);
    expect(await subscriberState()).toBe('unsubscribed');

    const later = await post({ parentId: parent, name: 'Cy', email: 'cy@example.com' });
    await approve(server, [later]);
    await server.notifier.runOnce(Date.now() + 60 * 60_000);
    await new Promise((r2) => setTimeout(r2, 300));
    expect(smtp.mails).toHaveLength(1);
  });

  it('the per-thread link stops mail about that thread only, after its page’s POST (GET changes nothing)', async () => {
    const onPost = await adaSubscribed('/post');
    const onOther = await post({ page: '/other', name: 'Ada', email: ADA, notify: true });
    await approve(server, [onOther]);
    const r1 = await post({ parentId: onPost, name: 'Bob', email: 'bob@example.com', body: 'On /post' });
    await approve(server, [r1]);
    await server.notifier.runOnce();
    const [mail] = await smtp.waitFor(1);
    const [thread] = linkTo(mail, '/notify/unsubscribe').filter((l) => l !== listUnsubscribe(mail));
    const opened = await openPage(local(server, thread));
    expect(opened.html).toContain('Stop e-mails about replies in this conversation?');
    expect(await storedRow(server, 'SELECT count(*) AS n FROM thread_unsubscribes')).toEqual({ n: 0 });
    expect((await submit(server, opened.form!)).status).toBe(200);
    expect(await storedRow(server, 'SELECT count(*) AS n FROM thread_unsubscribes')).toEqual({ n: 1 });

    const later = Date.now() + 60 * 60_000;
    const r2 = await post({ parentId: onPost, name: 'Cy', email: 'cy@example.com', body: 'Again on /post' });
    const r3 = await post({ page: '/other', parentId: onOther, name: 'Di', email: 'di@example.com', body: 'On /other' });
    await approve(server, [r2, r3]);
    await server.notifier.runOnce(later);
    const mails = await smtp.waitFor(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(mails).toHaveLength(2);
    expect(mails[1].parsed.text).toContain('On /other');
    expect(await subscriberState()).toBe('confirmed');
  });

  it('writes mails in the site’s language', async () => {
    await configure(server, { language: 'fr' });
    await post({ name: 'Ada', email: ADA, notify: true });
    await server.notifier.runOnce();
    const [mail] = await smtp.waitFor(1);
    expect(mail.parsed.subject).toBe('Confirmez les notifications de réponses de Demo');
    expect(mail.parsed.html).toContain('<html lang="fr">');
    expect(mail.parsed.text).toContain('Confirmer mon adresse');
  });

  it('keeps addresses out of the logs, the outbox log the owner sees, and public answers', async () => {
    const parent = await adaSubscribed();
    const reply = await post({ parentId: parent, name: 'Bob', email: 'bob@example.com' });
    await approve(server, [reply]);
    await server.notifier.runOnce();
    await smtp.waitFor(1);
    const log = await call(server, 'GET', '/api/v1/sites/demo/deliveries?channel=mail', { token: server.ownerToken });
    expect(log.status).toBe(200);
    expect(log.body.items.length).toBeGreaterThanOrEqual(2);
    expect(log.body.items[0]).toMatchObject({ channel: 'mail', event: 'reply', state: 'delivered', attempts: 1, url: null });
    const thread = await call(server, 'GET', '/api/v1/sites/demo/comments?page=/post');
    // Delivered mail keeps no address, not even encrypted; and it cannot be sent again.
    expect(await storedRow(server, `SELECT count(*) AS n FROM outbox WHERE recipient_enc IS NOT NULL`)).toEqual({ n: 0 });
    expect((await call(server, 'POST', `/api/v1/sites/demo/deliveries/${log.body.items[0].id}/resend`, { token: server.ownerToken })).status).toBe(404);
    for (const text of [log.text, thread.text, server.logs.join('\n'), JSON.stringify(await storedRows(server, 'SELECT payload, last_error FROM outbox'))]) {
      expect(text).not.toContain(ADA);
      expect(text).not.toContain('bob@example.com');
    }
  });
});
