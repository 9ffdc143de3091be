// What the notifier needs from the outside world: a way to send a mail and a way to POST a webhook.
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  /** Fixed per delivery, so a mail sent again after a crash is recognisably the same message. */
  messageId: string;
}

export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
  close?(): void;
}

export interface WebhookTransport {
  /** POSTs the body; resolves with the receiver's status, rejects on a network error or a refused target. */
  post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number }>;
}

/** The target resolves to an address webhooks may not reach (private, loopback, link-local…). Not retried. */
export class WebhookTargetRefused extends Error {
  readonly code = 'target_refused';
}

/** A transport error in words safe to store and show: never the message text, which may quote an address. */
export function describeFailure(err: unknown): string {
  if (err instanceof WebhookTargetRefused) return err.message;
  const e = err as { code?: unknown; responseCode?: unknown; name?: unknown };
  const parts = [typeof e.code === 'string' ? e.code : null, typeof e.responseCode === 'number' ? `SMTP ${e.responseCode}` : null].filter(Boolean);
  return parts.length ? parts.join(' ') : typeof e.name === 'string' ? e.name : 'error';
}
