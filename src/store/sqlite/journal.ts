// Store: records facts about comments for the notifier, inside the caller's transaction (one connection, so a
// statement run within db.transaction() commits or rolls back with the change it describes).
import type { Db } from '../db';
import type { JournalFact } from '../../domain/notify/types';

export class Journal {
  private readonly insert;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO notification_events (site_id, type, payload, created_at) VALUES (?, ?, ?, ?)');
  }

  record(siteId: string, fact: JournalFact, now: number): void {
    this.insert.run(siteId, fact.type, JSON.stringify(fact), now);
  }
}
