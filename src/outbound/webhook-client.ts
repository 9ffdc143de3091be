// Outbound: webhook POSTs that refuse private and loopback targets, checked on the address actually connected to.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { WebhookTargetRefused, type WebhookTransport } from '../domain/notify/transports';

const TIMEOUT_MS = 10_000;

const blocked = new net.BlockList();
for (const [a, p] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(a, p, 'ipv4');
for (const [a, p] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const)
  blocked.addSubnet(a, p, 'ipv6');

/** True for loopback, private, link-local, carrier-grade NAT, multicast and other non-public addresses. */
export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true;
  // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) reaches the IPv4 address it holds.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1], 'ipv4');
  return blocked.check(address, 'ipv6');
}

/** The host's addresses, refused when any of them is private (a name that resolves to both is not trusted). */
export async function resolvePublic(hostname: string, allowPrivate: boolean): Promise<{ address: string; family: number }> {
  const host = hostname.replace(/^\[|\]$/g, '');
  const addresses = net.isIP(host) ? [{ address: host, family: net.isIP(host) }] : await dns.promises.lookup(host, { all: true, verbatim: true });
  if (addresses.length === 0) throw new WebhookTargetRefused(`${hostname} does not resolve`);
  if (!allowPrivate && addresses.some((a) => isPrivateAddress(a.address)))
    throw new WebhookTargetRefused(`${hostname} resolves to a private or loopback address`);
  return addresses[0];
}

/** The settings' check of a webhook URL: the reason it is refused, or null. */
export function webhookTargetCheck(allowPrivate: boolean): (url: string) => Promise<string | null> {
  return async (url) => {
    try {
      await resolvePublic(new URL(url).hostname, allowPrivate);
      return null;
    } catch (err) {
      if (err instanceof WebhookTargetRefused) return err.message.replace(/^\S+ /, 'the host ');
      return 'the host does not resolve';
    }
  };
}

export function webhookClient(opts: { allowPrivate: boolean }): WebhookTransport {
  return {
    async post(url, body, headers) {
      const u = new URL(url);
      // Resolved once, checked, then connected to that very address: a name that changes its answer between the
      // check and the connection (DNS rebinding) cannot steer the request inside.
      const target = await resolvePublic(u.hostname, opts.allowPrivate);
      const lib = u.protocol === 'https:' ? https : http;
      return new Promise((resolve, reject) => {
        const req = lib.request(
          u,
          {
            method: 'POST',
            headers: { ...headers, 'content-length': Buffer.byteLength(body) },
            timeout: TIMEOUT_MS,
            lookup: ((_h: string, o: { all?: boolean }, cb: (...a: unknown[]) => void) =>
              o?.all ? cb(null, [target]) : cb(null, target.address, target.family)) as unknown as net.LookupFunction,
          },
          (res) => {
            // The answer's body is not needed; drain it so the socket is freed. Redirects are not followed.
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
        req.on('error', reject);
        req.end(body);
      });
    },
  };
}
