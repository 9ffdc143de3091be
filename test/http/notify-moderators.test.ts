// Moderator mail against a real SMTP server: the comment, its page and reasons, and signed single-use expiring links
// whose GET only shows a confirmation page and whose POST acts once, logged as done by that moderator's address.
import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { startSmtpReceiver, type SmtpReceiver } from '../helpers/receivers';
import { approve, linkTo, local, openPage, submit } from '../helpers/notify';

let server: TestServer;
let smtp: SmtpReceiver;
const MOD = 'mod@example.com';

beforeEach(async () => {
  smtp = await startSmtpReceiver();
  server = await startTestServer({ env: { LOG_LEVEL: 'warn', SMTP_URL: smtp.url, PUBLIC_URL: 'https://comments.example' } });
  await configure(server, { ...fastPosting, moderation: 'all', maxLinks: 1, notifications: { moderators: [{ email: MOD, on: 'pending' }] } });
});
afterEach(async () => {
  await server.stop();
  await smtp.stop();
});

const post = async (over: Record<string, unknown> = {}) => {
  const r = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput(over) });
  if (r.status !== 201) throw new Error(`post failed: ${r.status} ${r.text}`);
  return r.body.comment.id as string;
};
const statusOf = async (id: string) => {
  const r = await call(server, 'GET', `/api/v1/sites/demo/moderation/comments?status=all`, { token: server.ownerToken });
  return r.body.items.find((c: { id: string }) => c.id === id)?.status;
};
const actionLinks = (mail: Awaited<ReturnType<SmtpReceiver['waitFor']>>[number]) => linkTo(mail, '/notify/moderate').map((l) => local(server, l));

describe('moderator mail', () => {
  it('shows the comment, its page and reasons, with links to approve, reject or mark spam', async () => {
    await post({ name: 'Bob', body: 'See https://a.example and https://b.example <b>now</b>', pageTitle: 'The Post' });
    await server.notifier.runOnce();
    const [mail] = await smtp.waitFor(1);
    expect(mail.to).toEqual([MOD]);
    expect(mail.parsed.subject).toBe('A comment on Demo needs a look');
    for (const part of [mail.parsed.text!, mail.parsed.html as string]) {
      expect(part).toContain('Held for moderation');
      expect(part).toContain('Bob');
      expect(part).toContain('The Post');
      expect(part).toContain('2 links (held at 1 or more).');
      expect(part).toContain('This site holds every comment for moderation.');
    }
    expect(mail.parsed.text).toContain('<b>now</b>'); // the source, quoted as text
    expect(mail.parsed.html).not.toContain('<b>now</b>'); // …and escaped in HTML
    expect(mail.parsed.html).toContain('&lt;b&gt;now&lt;/b&gt;');
    expect(actionLinks(mail)).toHaveLength(3);
  });

  it('GET changes nothing; POST acts once, as the moderator’s address; a second POST or another action is refused', async () => {
    const id = await post({ body: 'Please approve me' });
    await server.notifier.runOnce();
    const [mail] = await smtp.waitFor(1);
    const [approveUrl, rejectUrl] = actionLinks(mail);

    const page = await openPage(approveUrl);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Approve this comment?');
    expect(page.html).toContain('<p>Please approve me</p>');
    await openPage(approveUrl); // a scanner fetching twice
    expect(await statusOf(id)).toBe('pending');

    const done = await submit(server, page.form!);
    expect(done.status).toBe(200);
    expect(done.html).toContain('Approved.');
    expect(await statusOf(id)).toBe('approved');

    const again = await submit(server, page.form!);
    expect(again.status).toBe(410);
    expect(again.html).toContain('already used');
    const reject = await openPage(rejectUrl);
    expect(reject.form).toBeNull(); // the link is spent: no button any more
    expect(reject.html).toContain('already used (approve)');
    const rejectPost = await submit(server, { action: '/notify/moderate', fields: { t: new URL(rejectUrl).searchParams.get('t')! } });
    expect(rejectPost.status).toBe(410);
    expect(await statusOf(id)).toBe('approved');

    const log = await call(server, 'GET', `/api/v1/sites/demo/moderation/log?commentId=${id}`, { token: server.ownerToken });
    expect(log.body.items[0]).toMatchObject({ action: 'approve', from: 'pending', to: 'approved', actor: { type: 'mail', address: MOD } });
    expect(log.body.items.filter((e: { action: string }) => e.action === 'approve')).toHaveLength(1);
  });

  it('marks spam from the spam link', async () => {
    const id = await post();
    await server.notifier.runOnce();
    const [mail] = await smtp.waitFor(1);
    const spam = await openPage(actionLinks(mail)[2]);
    expect(spam.html).toContain('Mark this comment as spam?');
    expect((await submit(server, spam.form!)).status).toBe(200);
    expect(await statusOf(id)).toBe('spam');
  });

  it('refuses an expired link (made three days and more ago, with `now` passed in)', async () => {
    const id = await post();
    await server.notifier.runOnce(Date.now() - 3 * 24 * 60 * 60_000 - 1000);
    const [mail] = await smtp.waitFor(1);
    const url = actionLinks(mail)[0];
    expect((await openPage(url)).status).toBe(410);
    const r = await submit(server, { action: '/notify/moderate', fields: { t: new URL(url).searchParams.get('t')! } });
    expect(r.status).toBe(410);
    expect(await statusOf(id)).toBe('pending');
  });

  it('refuses a link whose action was altered', async () => {
    const id = await post();
    await server.notifier.runOnce();
    const [mail] = await smtp.waitFor(1);
    const t = new URL(actionLinks(mail)[1]).searchParams.get('t')!; // reject
    const [body, mac] = t.split('.');
    const altered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), a: 'approve' })).toString('base64url');
    expect((await submit(server, { action: '/notify/moderate', fields: { t: `${altered}.${mac}` } })).status).toBe(410);
    expect(await statusOf(id)).toBe('pending');
  });

  it('mails a moderator who asked for reports when a comment is reported, and not for pending ones', async () => {
    await configure(server, { moderation: 'none', notifications: { moderators: [{ email: 'reports@example.com', on: 'reported' }] } });
    const id = await post({ body: 'Controversial' });
    await server.notifier.runOnce();
    expect(smtp.mails).toHaveLength(0);
    const r = await call(server, 'POST', `/api/v1/comments/${id}/reports`, { body: { reason: 'abuse' } });
    expect(r.status).toBe(202);
    await server.notifier.runOnce();
    const [mail] = await smtp.waitFor(1);
    expect(mail.to).toEqual(['reports@example.com']);
    expect(mail.parsed.text).toContain('Reported by readers');
    expect(mail.parsed.text).toContain('Controversial');
  });

  it('gathers comments into one digest per moderator when digestMinutes is set', async () => {
    await configure(server, { notifications: { digestMinutes: 5 } });
    const t0 = Date.now();
    await post({ body: 'First held' });
    await server.notifier.runOnce(t0);
    await post({ body: 'Second held' });
    await server.notifier.runOnce(t0 + 60_000);
    await server.notifier.runOnce(t0 + 5 * 60_000 - 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.mails).toHaveLength(0);
    await server.notifier.runOnce(t0 + 5 * 60_000);
    const [mail] = await smtp.waitFor(1);
    expect(mail.parsed.subject).toBe('2 comments on Demo need a look');
    expect(mail.parsed.text).toContain('First held');
    expect(mail.parsed.text).toContain('Second held');
    expect(linkTo(mail, '/notify/moderate')).toHaveLength(6);
  });

  it('validates the moderators setting, naming the field', async () => {
    const r = await call(server, 'PATCH', '/api/v1/sites/demo/settings', {
      token: server.ownerToken,
      body: { notifications: { moderators: [{ email: 'not an address', on: 'pending' }, { email: MOD, on: 'sometimes' }] } },
    });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['notifications.moderators.0.email', 'notifications.moderators.1.on']);
  });
});

describe('requireVerifiedEmail', () => {
  it('trusts a returning first-time author only once their address is confirmed by mail', async () => {
    await configure(server, { moderation: 'first-time', requireVerifiedEmail: true, notifications: { moderators: [] } });
    const who = { name: 'Vera', email: 'vera@example.com' };
    const first = await post({ ...who, body: 'first', notify: true });
    await approve(server, [first]);
    const second = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ ...who, body: 'second' }) });
    expect(second.body.status).toBe('pending');
    const q = await call(server, 'GET', '/api/v1/sites/demo/moderation/comments?status=pending', { token: server.ownerToken });
    expect(q.body.items[0].reasons.map((r: { code: string }) => r.code)).toEqual(['unverified_email']);

    await server.notifier.runOnce();
    const [confirm] = await smtp.waitFor(1);
    const page = await openPage(local(server, linkTo(confirm, '/notify/confirm')[0]));
    await submit(server, page.form!);
    const third = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ ...who, body: 'third' }) });
    expect(third.body.status).toBe('approved');
  });
});
