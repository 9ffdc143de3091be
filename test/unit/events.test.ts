import { DomainEvents, type DomainEvent } from '../../src/domain/events';

const created: DomainEvent = { type: 'comment.created', siteId: 's', pageId: 1, commentId: 'c_1', parentId: null, status: 'approved', at: 1 };
const site: DomainEvent = { type: 'site.changed', siteId: 's', at: 2 };

describe('domain events', () => {
  it('gives each listener only the events of its type, in order of subscription', () => {
    const events = new DomainEvents();
    const seen: string[] = [];
    events.on('comment.created', (e) => seen.push(`a:${e.commentId}`));
    events.on('comment.created', (e) => seen.push(`b:${e.commentId}`));
    events.on('site.changed', (e) => seen.push(`site:${e.siteId}`));
    events.emit(created);
    events.emit(site);
    expect(seen).toEqual(['a:c_1', 'b:c_1', 'site:s']);
  });

  it('keeps telling the other listeners when one throws, and reports the error with the event', () => {
    const errors: [unknown, DomainEvent][] = [];
    const events = new DomainEvents((err, e) => errors.push([err, e]));
    const seen: string[] = [];
    events.on('comment.created', () => {
      throw new Error('boom');
    });
    events.on('comment.created', (e) => seen.push(e.commentId));
    expect(() => events.emit(created)).not.toThrow();
    expect(seen).toEqual(['c_1']);
    expect(errors).toHaveLength(1);
    expect((errors[0][0] as Error).message).toBe('boom');
    expect(errors[0][1]).toBe(created);
  });

  it('stops telling a listener once it unsubscribes; onAny hears every type', () => {
    const events = new DomainEvents();
    const seen: string[] = [];
    const off = events.onAny((e) => seen.push(e.type));
    events.emit(created);
    events.emit(site);
    off();
    events.emit(created);
    expect(seen).toEqual(['comment.created', 'site.changed']);
  });
});
