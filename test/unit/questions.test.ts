import { countsQuestion, feedQuestion, threadQuestion } from '../../src/http/questions';

// Queries as Express's parser hands them over: strings, arrays for repeated names.
const cursor = Buffer.from('c_01J0000000000000000000000A').toString('base64url');

describe('cache keys of public reads', () => {
  it('gives a thread one key however its question is spelled', () => {
    const key = threadQuestion({ page: '/a' }).key;
    expect(threadQuestion({ page: '/a', sort: 'oldest', limit: '50' }).key).toBe(key); // defaults given
    expect(threadQuestion({ limit: '050', page: '/a' }).key).toBe(key); // order and spelling of the number
    expect(threadQuestion({ page: '/a', v: '1', utm_source: 'x' }).key).toBe(key); // parameters that change nothing
    expect(threadQuestion({ page: '/a', cursor: cursor + '=' }).key).toBe(threadQuestion({ page: '/a', cursor }).key);
  });

  it('gives different questions different keys', () => {
    const questions = [{ page: '/a' }, { page: '/b' }, { page: '/a', sort: 'newest' }, { page: '/a', limit: '10' }, { page: '/a', cursor }];
    expect(new Set(questions.map((q) => threadQuestion(q).key)).size).toBe(questions.length);
  });

  it('refuses what the answer would not accept before any key is made', () => {
    expect(() => threadQuestion({ page: '/a\u0000b' })).toThrow();
    expect(() => threadQuestion({ page: '/a', limit: '201' })).toThrow();
    expect(() => threadQuestion({ page: '/a', cursor: 'bm90LWEtY3Vyc29y' })).toThrow(/cursor/);
    expect(() => threadQuestion({ page: ['/a', '/b'] })).toThrow();
  });

  it('gives counts one key whatever the order of the pages and repeats among them', () => {
    const a = countsQuestion({ page: ['/b', '/a'] });
    expect(countsQuestion({ page: ['/a', '/b', '/a'] }).key).toBe(a.key);
    expect(countsQuestion({ page: ['/a', '/b'], extra: '1' }).key).toBe(a.key);
    expect(a.pages).toEqual(['/a', '/b']);
    expect(countsQuestion({ page: '/a' }).key).not.toBe(a.key);
  });

  it('tells the site feed from a page feed', () => {
    expect(feedQuestion({}).key).toBe(feedQuestion({ other: 'x' }).key);
    expect(feedQuestion({}).page).toBeNull();
    expect(feedQuestion({ page: '/a' }).key).not.toBe(feedQuestion({}).key);
  });
});
