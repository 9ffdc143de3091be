import { acceptsGzip } from '../../src/http/accept-encoding';

describe('acceptsGzip', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['gzip', true],
    ['gzip, deflate, br, zstd', true],
    ['deflate, gzip;q=1.0, *;q=0.5', true],
    [' GZip ; Q=0.3 ', true],
    ['gzip;q=0', false],
    ['gzip;q=0.000', false],
    ['gzip;q=abc', false],
    ['identity', false],
    ['br;q=1.0, identity; q=0.5', false],
    ['*', true],
    ['*;q=0', false],
    ['gzip;q=0, *', false],
    ['x-gzip', true],
    [',,;,', false],
    ['gzip;q=0, x-gzip;q=0.5', true],
  ])('%j → %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
    // Remembered answers are the same answers.
    expect(acceptsGzip(header)).toBe(expected);
  });

  it('stays right past its memo of header values, and for a header too long to remember', () => {
    for (let i = 0; i < 500; i++) expect(acceptsGzip(`br;q=0.${i % 9}, gzip;q=${i % 2}`)).toBe(i % 2 === 1);
    const long = `${'x-custom;q=0.1, '.repeat(100)}gzip`;
    expect(acceptsGzip(long)).toBe(true);
    expect(acceptsGzip(long.replace(/gzip$/, 'gzip;q=0'))).toBe(false);
  });
});
