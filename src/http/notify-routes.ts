// Controller: the pages mailed links open, and the notification API (mail status, "my comments" request, delivery
// log). Parse the request into clean domain parameters; the request object goes no further.
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { AppError, notFound } from '../domain/errors';
import type { AccessService } from '../domain/access';
import type { CommentService } from '../domain/comments';
import type { NotificationService } from '../domain/notify/service';
import type { Delivery } from '../domain/notify/types';
import type { Site } from '../domain/types';
import { authenticateToken, tokenOf } from './auth';
import { cors, requireAllowedOrigin, siteOf, type OriginPolicy } from './origins';
import { siteLimiter, type RateLimitStoreFactory } from './rate-limit';
import { form, moderationBody, myCommentsBody, pageWords, sendPage, esc } from './notify-pages';
import { deliveriesQuery, myCommentsRequestBody, siteParam, type Answer, type deliveriesResponse, type mailFeaturesResponse, type myCommentsRequestResponse, type resendResponse } from './schemas';

const tokenOfRequest = (req: Request): unknown => (req.body as Record<string, unknown> | undefined)?.t ?? req.query.t;

/** Runs a page handler; a refused link becomes a plain page saying so, in HTML like the rest. */
const page =
  (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  async (req, res) => {
    try {
      await fn(req, res);
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      const w = pageWords('en');
      sendPage(res, err.status, 'en', w.refused, `<p>${esc(err.detail)}</p>`);
    }
  };

export function notifyPages(deps: { notify: NotificationService }): Router {
  const { notify } = deps;
  const router = Router();
  // Forms and RFC 8058 one-click posts are form-encoded; a token is all they carry.
  router.use('/notify', express.urlencoded({ extended: false, limit: '8kb', type: 'application/x-www-form-urlencoded' }));

  router.get('/notify/confirm', page(async (req, res) => {
    const t = String(tokenOfRequest(req));
    const { site } = await notify.linkSite(t, 'confirm', Date.now());
    const w = pageWords(site.settings.language);
    sendPage(res, 200, site.settings.language, w.confirmTitle, `<p>${esc(w.confirmAsk(site.name))}</p>${form('/notify/confirm', t, w.confirmButton)}`);
  }));

  router.post('/notify/confirm', page(async (req, res) => {
    const site = await notify.confirm(tokenOfRequest(req), Date.now());
    const w = pageWords(site.settings.language);
    sendPage(res, 200, site.settings.language, w.confirmTitle, `<p role="status">${esc(w.confirmed(site.name))}</p>`);
  }));

  router.get('/notify/unsubscribe', page(async (req, res) => {
    const t = String(tokenOfRequest(req));
    const { site, thread } = await notify.linkSite(t, 'unsubscribe', Date.now());
    const w = pageWords(site.settings.language);
    const ask = thread ? w.unsubAskThread : w.unsubAskSite(site.name);
    sendPage(res, 200, site.settings.language, w.unsubTitle, `<p>${esc(ask)}</p>${form('/notify/unsubscribe', t, w.unsubButton)}`);
  }));

  // RFC 8058 one-click: the mail client POSTs "List-Unsubscribe=One-Click" to the URL from the header (token in the query).
  router.post('/notify/unsubscribe', page(async (req, res) => {
    const { site, thread } = await notify.unsubscribe(tokenOfRequest(req), Date.now());
    const w = pageWords(site.settings.language);
    sendPage(res, 200, site.settings.language, w.unsubTitle, `<p role="status">${esc(thread ? w.unsubDoneThread : w.unsubDoneSite(site.name))}</p>`);
  }));

  // GET only shows: mail scanners fetch links, and must not approve or reject anything by doing so.
  router.get('/notify/moderate', page(async (req, res) => {
    const t = String(tokenOfRequest(req));
    const v = await notify.moderationLink(t, Date.now());
    const lang = v.site.settings.language;
    const w = pageWords(lang);
    const action = v.usedAt === null ? form('/notify/moderate', t, w.modButton[v.action]) : `<p role="status">${esc(w.modUsed(v.usedAction ?? ''))}</p>`;
    sendPage(res, 200, lang, w.modTitle, `<p>${esc(w.modAsk[v.action])}</p>${moderationBody(v, lang)}${action}`);
  }));

  router.post('/notify/moderate', page(async (req, res) => {
    const v = await notify.actOnLink(tokenOfRequest(req), Date.now());
    const lang = v.site.settings.language;
    const w = pageWords(lang);
    sendPage(res, 200, lang, w.modTitle, `<p role="status">${esc(w.modDone[v.action])}</p>${moderationBody(v, lang)}`);
  }));

  router.get('/notify/my-comments', page(async (req, res) => {
    const t = String(tokenOfRequest(req));
    const { site, comments } = await notify.myComments(t, Date.now());
    const lang = site.settings.language;
    sendPage(res, 200, lang, `${pageWords(lang).mineTitle} — ${site.name}`, myCommentsBody(comments, t, lang));
  }));

  router.post('/notify/my-comments/delete', page(async (req, res) => {
    const t = tokenOfRequest(req);
    await notify.deleteMine(t, (req.body as Record<string, unknown>)?.id, Date.now());
    // Back to the list (303: the browser GETs it), so a reload does not post again.
    res.redirect(303, `/notify/my-comments?t=${encodeURIComponent(String(t))}`);
  }));

  router.get('/notify/my-comments/export.json', page(async (req, res) => {
    const { site, comments } = await notify.myComments(tokenOfRequest(req), Date.now());
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Disposition', 'attachment; filename="my-comments.json"');
    res.json({
      site: site.id,
      exportedAt: new Date().toISOString(),
      comments: comments.map((c) => ({
        id: c.id,
        page: c.page,
        parentId: c.parentId,
        status: c.status,
        body: c.bodySource,
        html: c.bodyHtml,
        createdAt: new Date(c.createdAt).toISOString(),
        editedAt: c.editedAt === null ? null : new Date(c.editedAt).toISOString(),
      })),
    });
  }));

  return router;
}

/** What an owner sees of a delivery: never the address a mail went to. */
export const toDeliveryOut = (d: Delivery): Answer<typeof resendResponse>['delivery'] => ({
  id: d.id,
  deliveryId: d.deliveryId,
  channel: d.channel,
  event: d.topic,
  url: d.channel === 'webhook' ? d.target : null,
  state: d.state,
  attempts: d.attempts,
  lastStatus: d.lastStatus,
  lastError: d.lastError,
  createdAt: new Date(d.createdAt).toISOString(),
  lastAttemptAt: d.lastAttemptAt === null ? null : new Date(d.lastAttemptAt).toISOString(),
  nextAttemptAt: d.state === 'pending' ? new Date(d.nextAttemptAt).toISOString() : null,
  deliveredAt: d.deliveredAt === null ? null : new Date(d.deliveredAt).toISOString(),
});

export function notifyApi(deps: {
  notify: NotificationService;
  comments: CommentService;
  access: AccessService;
  origins: OriginPolicy;
  rateLimitStores: RateLimitStoreFactory;
}): Router {
  const { notify, access } = deps;
  const router = Router();
  const loadSite: RequestHandler = async (req, res, next) => {
    const id = siteParam.safeParse(req.params.site);
    if (!id.success) throw notFound('Site');
    const site = await deps.comments.site(id.data);
    res.locals.site = site;
    res.locals.siteId = site.id;
    res.locals.settings = site.settings;
    next();
  };
  const requests = siteLimiter({ name: 'my-comments', windowMs: 60_000, limit: (l) => l.postsPerMinute, stores: deps.rateLimitStores });

  router.use(['/sites/:site/notifications', '/sites/:site/my-comments'], loadSite, cors(deps.origins, 'GET, POST, OPTIONS'));

  // The widget asks which mail features to show ("Notify me of replies", "My comments").
  router.get('/sites/:site/notifications', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=60');
    res.json({ mail: notify.mailEnabled } satisfies Answer<typeof mailFeaturesResponse>);
  });

  router.post('/sites/:site/my-comments', requireAllowedOrigin(deps.origins), requests, async (req, res) => {
    const { email } = myCommentsRequestBody.parse(req.body ?? {});
    await notify.requestMyComments(siteOf(res).id, email, Date.now());
    res.status(202).json({ status: 'sent' } satisfies Answer<typeof myCommentsRequestResponse>);
  });

  const owner: RequestHandler[] = [
    authenticateToken(access),
    async (req, res, next) => {
      res.locals.site = await access.authorise(tokenOf(res), String(req.params.site), 'owner');
      next();
    },
  ];

  router.get('/sites/:site/deliveries', ...owner, async (req, res) => {
    const q = deliveriesQuery.parse(req.query);
    const r = await notify.deliveries(res.locals.site as Site, q);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ items: r.items.map(toDeliveryOut), nextCursor: r.nextCursor === null ? null : String(r.nextCursor) } satisfies Answer<typeof deliveriesResponse>);
  });

  router.post('/sites/:site/deliveries/:id/resend', ...owner, async (req, res) => {
    const id = z.coerce.number().int().min(1).safeParse(req.params.id);
    if (!id.success) throw notFound('Delivery');
    const d = await notify.resend(res.locals.site as Site, id.data, Date.now());
    res.status(202).json({ delivery: toDeliveryOut(d) });
  });

  return router;
}
