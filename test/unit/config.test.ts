import { loadConfig, ConfigError } from '../../src/config';

describe('loadConfig', () => {
  it('leaves mail off and private webhook targets refused by default; reads the notification variables', () => {
    expect(loadConfig({})).toMatchObject({ smtpUrl: null, mailFrom: 'Marginalia <marginalia@localhost>', webhookAllowPrivate: false });
    expect(
      loadConfig({ SMTP_URL: 'smtps://u:p@mail.example:465', MAIL_FROM: 'Blog <c@blog.example>', WEBHOOK_ALLOW_PRIVATE: 'true', PUBLIC_URL: 'https://c.example' }),
    ).toMatchObject({ smtpUrl: 'smtps://u:p@mail.example:465', mailFrom: 'Blog <c@blog.example>', webhookAllowPrivate: true });
    expect(loadConfig({ PUBLIC_URL: 'https://c.example' }).mailFrom).toBe('Marginalia <marginalia@c.example>');
  });

  it('refuses a bad SMTP_URL naming the variable, never repeating its value (it holds a password)', () => {
    let message = '';
    try {
      loadConfig({ SMTP_URL: 'http://user:s3cret-pass@mail.example' });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toBe('Invalid configuration: SMTP_URL must be an smtp:// or smtps:// URL');
    expect(() => loadConfig({ MAIL_FROM: 'a@b.example\r\nBcc: x@y.example' })).toThrow('MAIL_FROM must be one line');
  });

  it('applies the documented defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.host).toBe('0.0.0.0');
    expect(c.databasePath).toMatch(/data[\\/]marginalia\.db$/);
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.trustProxy).toBe(false);
    expect(c.logLevel).toBe('info');
    expect(c.secretKey).toBeUndefined();
    expect(c.cacheMaxBytes).toBe(32 * 1024 * 1024);
  });

  it('reads every variable', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const c = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      DATA_DIR: '/tmp/x',
      DATABASE_PATH: '/tmp/y.db',
      SECRET_KEY: key,
      PUBLIC_URL: 'https://comments.example/',
      TRUST_PROXY: 'true',
      LOG_LEVEL: 'warn',
      CACHE_MAX_BYTES: '1048576',
    });
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1', databasePath: '/tmp/y.db', secretKey: key, publicUrl: 'https://comments.example', trustProxy: true, logLevel: 'warn', cacheMaxBytes: 1048576 });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['SECRET_KEY', 'c2hvcnQ='],
    ['SECRET_KEY', '!!!not base64!!!'],
    ['PUBLIC_URL', 'not a url'],
    ['PUBLIC_URL', 'ftp://files.example'],
    ['TRUST_PROXY', 'maybe'],
    ['LOG_LEVEL', 'loud'],
    ['CACHE_MAX_BYTES', '-1'],
    ['CACHE_MAX_BYTES', '32MB'],
  ])('names %s when it is %p', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });
});
