import { defaultSettings, mergeSettings, parseStoredSettings, siteSettingsPatchSchema } from '../../src/domain/settings';

describe('site settings', () => {
  it('changes only what a partial edit names', () => {
    const current = mergeSettings(defaultSettings(), { origins: ['https://blog.example'], floodSeconds: 0, maxLinks: 9, blockedWords: ['casino'] });
    const patch = siteSettingsPatchSchema.parse({ moderation: 'all', rateLimits: { postsPerMinute: 50 } });
    expect(patch).toEqual({ moderation: 'all', rateLimits: { postsPerMinute: 50 } });
    const next = mergeSettings(current, patch);
    expect(next).toEqual({ ...current, moderation: 'all', rateLimits: { ...current.rateLimits, postsPerMinute: 50 } });
  });

  it('fills settings missing from stored JSON with their defaults', () => {
    const stored = parseStoredSettings(JSON.stringify({ origins: ['https://a.example'], limits: { bodyMax: 500 } }));
    expect(stored.origins).toEqual(['https://a.example']);
    expect(stored.limits).toEqual({ nameMax: 100, bodyMax: 500 });
    expect(stored.moderation).toBe('first-time');
    expect(stored.rateLimits.postsPerMinute).toBe(5);
  });

  it('refuses an origin with a path', () => {
    const r = siteSettingsPatchSchema.safeParse({ origins: ['https://a.example/blog'] });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(['origins', 0]);
  });
});
