import { LocalLocks } from '../../src/domain/locks';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('LocalLocks', () => {
  it('runs sections holding a shared key one after the other, and others at once', async () => {
    const locks = new LocalLocks();
    const log: string[] = [];
    const section = (name: string, keys: string[]) =>
      locks.withLocks(keys, async () => {
        log.push(`${name} in`);
        await tick();
        log.push(`${name} out`);
      });
    await Promise.all([section('a', ['x', 'y']), section('b', ['y']), section('c', ['z'])]);
    expect(log.indexOf('b in')).toBeGreaterThan(log.indexOf('a out'));
    expect(log.indexOf('c in')).toBeLessThan(log.indexOf('a out'));
  });

  it('releases the keys when the section throws', async () => {
    const locks = new LocalLocks();
    await expect(locks.withLocks(['k'], async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await locks.withLocks(['k'], async () => 'next')).toBe('next');
  });

  it('takes keys in one order, so two sections asking in opposite orders do not wait on each other forever', async () => {
    const locks = new LocalLocks();
    const done = await Promise.all([locks.withLocks(['p', 'q'], async () => (await tick(), 1)), locks.withLocks(['q', 'p'], async () => (await tick(), 2))]);
    expect(done).toEqual([1, 2]);
  });
});
