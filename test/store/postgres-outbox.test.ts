// PostgreSQL only: the outbox shared by replicas. Two stores on one schema stand for two replicas' workers.
import { freshSchema, type TestSchema } from '../helpers/stores';
import { openPostgresStore } from '../../src/store/postgres';
import { newDeliveryId } from '../../src/domain/notify/fan-out';
import type { Repositories } from '../../src/domain/ports';
import type { NotificationRepository } from '../../src/domain/notify/types';

let schema: TestSchema;
let one: Repositories;
let two: Repositories;
const outbox = (r: Repositories) => r.notifications as NotificationRepository;

beforeEach(async () => {
  schema = await freshSchema();
  one = await openPostgresStore(schema.url, 4);
  two = await openPostgresStore(schema.url, 4);
});
afterEach(async () => {
  await Promise.all([one.close(), two.close()]);
  await schema.drop();
});

async function queue(n: number, now: number): Promise<void> {
  for (let i = 0; i < n; i++)
    await outbox(one).enqueue(
      { deliveryId: newDeliveryId(), siteId: 'demo', channel: 'webhook', topic: 'comment.created', target: 'https://hooks.example/x', recipientEnc: null, payload: { i }, dueAt: now },
      now,
    );
}

describe('the PostgreSQL outbox under two workers', () => {
  it('never gives one delivery to both, however their claims interleave', async () => {
    const now = Date.now();
    await queue(60, now);
    const claimed: number[] = [];
    // Both claim at once, again and again, until nothing is left.
    for (;;) {
      const rounds = await Promise.all([1, 2, 3].flatMap(() => [outbox(one).claimDue(now, 4, now + 60_000), outbox(two).claimDue(now, 4, now + 60_000)]));
      const got = rounds.flat();
      if (got.length === 0) break;
      claimed.push(...got.map((d) => d.id));
    }
    expect(claimed).toHaveLength(60);
    expect(new Set(claimed).size).toBe(60);
  });

  it('leaves another worker’s live claims alone at start, and takes them once their lease has run out', async () => {
    const now = Date.now();
    await queue(3, now);
    const held = await outbox(one).claimDue(now, 10, now + 60_000);
    expect(held).toHaveLength(3);
    // A second replica starting up: what the first is sending stays its own.
    expect(await outbox(two).releaseClaims(now + 1000, true)).toBe(0);
    expect(await outbox(two).claimDue(now + 1000, 10, now + 61_000)).toEqual([]);
    // The first stopped without recording anything: after the lease, the deliveries are sent again, same ids.
    const again = await outbox(two).claimDue(now + 60_001, 10, now + 120_000);
    expect(again.map((d) => d.deliveryId).sort()).toEqual(held.map((d) => d.deliveryId).sort());
    expect(await outbox(one).claimDue(now + 60_002, 10, now + 120_000)).toEqual([]);
  });
});
