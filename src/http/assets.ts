// HTTP: the widget bundle, the demo page and the moderation UI, each with its CSP and cheap revalidation.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Router, type Response } from 'express';
import { projectRoot } from '../paths';
import { notFound } from '../domain/errors';

const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
const ADMIN_CSP = PAGE_CSP.replace("form-action 'self'", "form-action 'none'");

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
};

interface Loaded {
  mtimeMs: number;
  body: Buffer;
  etag: string;
}

/** Files read once and kept until they change on disk; the ETag is a hash of the content. */
class FileCache {
  private readonly files = new Map<string, Loaded>();

  load(file: string): Loaded | null {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      return null;
    }
    const hit = this.files.get(file);
    if (hit && hit.mtimeMs === stat.mtimeMs) return hit;
    const body = fs.readFileSync(file);
    const loaded = { mtimeMs: stat.mtimeMs, body, etag: `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    this.files.set(file, loaded);
    return loaded;
  }
}

export function assetRoutes(root = projectRoot): Router {
  const router = Router();
  const cache = new FileCache();

  const serve = (res: Response, ifNoneMatch: string | undefined, file: string, headers: Record<string, string>) => {
    const f = cache.load(file);
    if (!f) throw notFound('File');
    res.set({ 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', ETag: f.etag, ...headers });
    if (ifNoneMatch === f.etag) {
      res.status(304).end();
      return;
    }
    res.send(f.body);
  };
  const revalidate = 'public, max-age=300, must-revalidate';

  router.get('/embed.js', (req, res) => {
    serve(res, req.get('if-none-match'), path.join(root, 'dist/embed/embed.js'), { 'Cache-Control': revalidate });
  });

  router.get('/count.js', (req, res) => {
    serve(res, req.get('if-none-match'), path.join(root, 'dist/embed/count.js'), { 'Cache-Control': revalidate });
  });

  // The stylesheet for browsers without constructable stylesheets: its name carries its hash, so it never changes.
  router.get('/embed/:file', (req, res) => {
    const name = String(req.params.file);
    if (!/^widget\.[0-9a-f]{16}\.css$/.test(name)) throw notFound('File');
    serve(res, req.get('if-none-match'), path.join(root, 'dist/embed', name), { 'Cache-Control': 'public, max-age=31536000, immutable' });
  });

  // The widget's catalogues besides English, fetched from the publisher's page: public text, so any origin may read it.
  router.get('/embed/i18n/:file', (req, res) => {
    const name = String(req.params.file);
    if (!/^[a-z]{2,3}\.json$/.test(name)) throw notFound('File');
    serve(res, req.get('if-none-match'), path.join(root, 'embed/i18n', name), {
      'Cache-Control': revalidate,
      'Access-Control-Allow-Origin': '*',
    });
  });

  router.get('/', (req, res) => {
    serve(res, req.get('if-none-match'), path.join(root, 'embed/demo/index.html'), {
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': PAGE_CSP,
    });
  });

  router.get('/demo/:file', (req, res) => {
    const name = String(req.params.file);
    if (!/^[\w.-]+\.(css|js|svg|png)$/.test(name)) throw notFound('File');
    serve(res, req.get('if-none-match'), path.join(root, 'embed/demo', name), { 'Cache-Control': revalidate });
  });

  const admin = (file: string) => path.join(root, 'dist/admin', file);
  router.get(['/admin', '/admin/'], (req, res) => {
    serve(res, req.get('if-none-match'), admin('index.html'), { 'Cache-Control': 'no-cache', 'Content-Security-Policy': ADMIN_CSP });
  });
  router.get('/admin/:file', (req, res) => {
    const name = String(req.params.file);
    if (!/^[\w.-]+\.(css|js|svg|png)$/.test(name)) throw notFound('File');
    serve(res, req.get('if-none-match'), admin(name), { 'Cache-Control': 'no-cache' });
  });

  return router;
}

