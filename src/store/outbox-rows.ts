// Store: the outbox row as both stores keep it, and the delivery it is to the notifier.
import type { Channel, Delivery } from '../domain/notify/types';

export interface OutboxRow {
  id: number;
  delivery_id: string;
  site_id: string;
  channel: Channel;
  topic: string;
  target: string | null;
  recipient_enc: Buffer | null;
  batch_key: string | null;
  payload: string;
  state: Delivery['state'];
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  last_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
}

export function toDelivery(r: OutboxRow): Delivery {
  return {
    id: r.id,
    deliveryId: r.delivery_id,
    siteId: r.site_id,
    channel: r.channel,
    topic: r.topic,
    target: r.target,
    recipientEnc: r.recipient_enc,
    batchKey: r.batch_key,
    payload: JSON.parse(r.payload),
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
    lastAttemptAt: r.last_attempt_at,
    lastStatus: r.last_status,
    lastError: r.last_error,
    deliveredAt: r.delivered_at,
  };
}
