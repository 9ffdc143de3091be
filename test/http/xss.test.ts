import { startTestServer, type TestServer } from '../helpers/server';
import { call, commentInput, configure, fastPosting } from '../helpers/api';
import { elementsOf, LINK_REL, textOf, unsafeParts } from '../helpers/safe-html';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
  await configure(server, { ...fastPosting, moderation: 'none', maxLinks: 100 });
});
afterEach(() => server.stop());

/** Known payloads, each a regression test. A label names the trick; the body is posted exactly as written. */
const payloads: Array<[label: string, body: string]> = [
  // Markdown links, autolinks, references and images.
  ['markdown link to javascript:', '[x](javascript:alert(1))'],
  ['markdown link, mixed-case scheme', '[x](JaVaScRiPt:alert(1))'],
  ['markdown link, &colon; entity scheme', '[x](javascript&colon;alert(1))'],
  ['markdown link, decimal entity scheme', '[x](&#106;avascript:alert(1))'],
  ['markdown link, hex entity scheme', '[x](&#x6A;avascript:alert(1))'],
  ['markdown link, &#58; colon', '[x](javascript&#58;alert(1))'],
  ['markdown link, zero-padded colon entity', '[x](javascript&#0000058alert(1))'],
  ['markdown link, &NewLine; inside scheme', '[x](jav&NewLine;ascript:alert(1))'],
  ['markdown link, tab entity inside scheme', '[x](java&#9;script:alert(1))'],
  ['markdown link, newline entity inside scheme', '[x](java&#10;script:alert(1))'],
  ['markdown link, raw tab inside <> destination', '[x](<java\tscript:alert(1)>)'],
  ['markdown link, percent-encoded newline in scheme', '[x](java%0ascript:alert(1))'],
  ['markdown link, backslash-escaped colon', '[x](javascript\\:alert(1))'],
  ['markdown link, leading space entity', '[x](&#x20;javascript:alert(1))'],
  ['markdown link, <> destination', '[x](<javascript:alert(1)>)'],
  ['markdown link with a title', '[x](javascript:alert(1) "title")'],
  ['markdown link, javascript:// comment trick', '[x](javascript://%0Aalert(1))'],
  ['markdown link to data:text/html', '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)'],
  ['markdown link to data:image (passes markdown-it)', '[x](data:image/png;base64,iVBORw0KGgo=)'],
  ['markdown link to vbscript:', '[x](vbscript:msgbox(1))'],
  ['markdown link to file:', '[x](file:///etc/passwd)'],
  ['markdown link, quote breaking out of href', '[x](https://example.com"onmouseover="alert(1))'],
  ['markdown link text holding an img', '[<img src=x onerror=alert(1)>](https://example.com)'],
  ['nested markdown links', '[[x](javascript:alert(1))](https://example.com)'],
  ['unclosed markdown link', '[x](javascript:alert(1)'],
  ['autolink to javascript:', '<javascript:alert(1)>'],
  ['autolink, upper-case scheme', '<JAVASCRIPT:alert(1)>'],
  ['autolink to data:', '<data:text/html,<script>alert(1)</script>>'],
  ['reference definition used by shortcut', '[x]: javascript:alert(1)\n\n[x]'],
  ['reference definition used by full reference', '[click][ref]\n\n[ref]: javascript:alert(1)'],
  ['image to javascript:', '![x](javascript:alert(1))'],
  ['image to svg data:', '![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)'],
  ['image to http with onerror in alt', '![x" onerror="alert(1)](https://example.com/a.png)'],
  ['linkified URL followed by a script tag', 'https://example.com/<script>alert(1)</script>'],
  ['linkified www host with quote', 'www.example.com/"onmouseover="alert(1)'],
  ['code span holding a script', '`<script>alert(1)</script>`'],
  ['fenced code with a language', '```html\n<script>alert(1)</script>\n```'],
  ['fenced code info string breaking out', '```" onmouseover="alert(1)\nx\n```'],
  ['blockquote holding a script', '> <script>alert(1)</script>'],
  ['list item holding an img', '* <img src=x onerror=alert(1)>'],
  ['emphasis holding an svg', '**<svg onload=alert(1)>**'],
  // Raw HTML.
  ['script tag', '<script>alert(1)</script>'],
  ['script tag with external src', '<SCRIPT SRC=//evil.example/xss.js></SCRIPT>'],
  ['split script tag', '<scr<script>ipt>alert(1)</scr</script>ipt>'],
  ['img onerror', '<img src=x onerror=alert(1)>'],
  ['img onerror, quoted and self-closed', '<img src="x" onerror="alert(1)"/>'],
  ['img with slashes instead of spaces', '<img/src=x/onerror=alert(1)>'],
  ['img with javascript: src', '<IMG SRC=JaVaScRiPt:alert(1)>'],
  ['body onload', '<body onload=alert(1)>'],
  ['a href javascript:', '<a href="javascript:alert(1)">x</a>'],
  ['a href, mixed-case attribute and scheme', '<a HREF="JaVaScRiPt:alert(1)">x</a>'],
  ['a href, tab entity in scheme', '<a href="jav&#x09;ascript:alert(1)">x</a>'],
  ['a href, carriage-return entity in scheme', '<a href="java&#13;script:alert(1)">x</a>'],
  ['a href, fully decimal-encoded scheme', '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>'],
  ['a href, fully hex-encoded scheme', '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>'],
  ['a href, leading space', '<a href=" javascript:alert(1)">x</a>'],
  ['a href data:', '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>'],
  ['a href vbscript:', '<a href="vbscript:msgbox(1)">x</a>'],
  ['a with slash before href', '<a/href="javascript:alert(1)">x</a>'],
  ['a with onclick next to a good href', '<a href="https://example.com" onclick="alert(1)">x</a>'],
  ['iframe javascript:', '<iframe src="javascript:alert(1)"></iframe>'],
  ['iframe srcdoc', '<iframe srcdoc="<script>alert(1)</script>"></iframe>'],
  ['object data', '<object data="javascript:alert(1)"></object>'],
  ['embed data:', '<embed src="data:text/html,<script>alert(1)</script>">'],
  ['form action', '<form action="javascript:alert(1)"><button>x</button></form>'],
  ['button formaction', '<button formaction="javascript:alert(1)">x</button>'],
  ['input autofocus onfocus', '<input onfocus=alert(1) autofocus>'],
  ['details ontoggle', '<details open ontoggle=alert(1)>'],
  ['video source onerror', '<video><source onerror=alert(1)></video>'],
  ['marquee onstart', '<marquee onstart=alert(1)>x</marquee>'],
  ['isindex', '<isindex type=image src=1 onerror=alert(1)>'],
  ['style element', '<style>*{background:url(javascript:alert(1))}</style>'],
  ['style attribute', '<p style="background:url(javascript:alert(1))">x</p>'],
  ['style expression()', '<div style="width: expression(alert(1))">x</div>'],
  ['link stylesheet', '<link rel=stylesheet href=//evil.example/x.css>'],
  ['meta refresh', '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'],
  ['base href', '<base href="javascript:alert(1)//">'],
  ['template holding a script', '<template><script>alert(1)</script></template>'],
  // SVG and MathML.
  ['svg onload', '<svg onload=alert(1)>'],
  ['svg with slash', '<svg/onload=alert(1)>'],
  ['svg script', '<svg><script>alert(1)</script></svg>'],
  ['svg a xlink:href', '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>'],
  ['svg animate onbegin', '<svg><animate onbegin=alert(1) attributeName=x dur=1s>'],
  ['svg set href', '<svg><a><set attributeName="href" to="javascript:alert(1)"/><text>x</text></a></svg>'],
  ['math href', '<math href="javascript:alert(1)">x</math>'],
  ['math maction xlink:href', '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>'],
  // Mutation XSS: markup that re-parses differently once serialised.
  ['noscript title mXSS', '<noscript><p title="</noscript><img src=x onerror=alert(1)>">'],
  ['svg style mXSS', '<svg><style><img src=x onerror=alert(1)></style></svg>'],
  ['svg closing p then style mXSS', '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">'],
  ['math mglyph style mXSS', '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>'],
  ['math textarea mXSS', '<math><mi><mglyph><svg><mtext><textarea><path id="</textarea><img onerror=alert(1) src=1>">'],
  ['nested form mXSS', '<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>'],
  ['CDATA mXSS', '<![CDATA[<img src=x onerror=alert(1)>]]>'],
  ['comment holding an img', '<!--<img src=x onerror=alert(1)>-->'],
  ['abruptly closed comment', '<!--><img src=x onerror=alert(1)>-->'],
  ['xmp holding an img', '<xmp><img src=x onerror=alert(1)></xmp>'],
  // Malformed tags and attributes.
  ['unclosed img tag', '<img src=x onerror=alert(1)//'],
  ['unclosed href attribute', '<a href="https://example.com onmouseover=alert(1)>x'],
  ['unclosed single-quoted javascript: href', "<a href='javascript:alert(1)'"],
  ['double angle bracket script', '<<script>alert(1);//<</script>'],
  ['stray quotes before a script', '<img """><script>alert(1)</script>">'],
  ['attribute-breaking quote and script', '"><script>alert(1)</script>'],
  ['classic XSS locator', '\'\';!--"<XSS>=&{()}'],
  ['markdown link next to raw img', '[x](https://example.com)<img src=x onerror=alert(1)>'],
  // Whitespace inside schemes, and more encodings.
  ['markdown link, raw tab inside scheme', '[x](java\tscript:alert(1))'],
  ['markdown link, raw newline inside <> destination', '[x](<java\nscript:alert(1)>)'],
  ['a href, raw newline inside scheme', '<a href="java\nscript:alert(1)">x</a>'],
  ['a href, &colon; entity', '<a href="javascript&colon;alert(1)">x</a>'],
  ['markdown link, polyglot javascript: body', '[x](javascript:/*-->]]>%>?>*/alert(1))'],
  ['markdown link, upper-case data:', '[x](DATA:text/html,<script>alert(1)</script>)'],
  ['a href svg data:', '<a href="data:image/svg+xml,<svg onload=alert(1)>">x</a>'],
  ['a target=_blank (tabnabbing)', '<a href="https://example.com" target="_blank">x</a>'],
  ['svg foreignObject iframe', '<svg><foreignObject><iframe src=javascript:alert(1)></iframe></foreignObject></svg>'],
  ['svg use with data: href', '<svg><use href="data:image/svg+xml,<svg id=\'x\' xmlns=\'http://www.w3.org/2000/svg\'><image href=\'1\' onerror=\'alert(1)\'/></svg>#x"/></svg>'],
];

/** Payloads that smuggle control characters into a scheme: refused outright, as every control character is. */
const controlCharacterPayloads: Array<[label: string, body: string]> = [
  ['NUL inside a markdown link scheme', '[x](java\u0000script:alert(1))'],
  ['SOH before a markdown link scheme', '[x](\u0001javascript:alert(1))'],
  ['vertical tab inside a raw href', '<a href="java\u000bscript:alert(1)">x</a>'],
  ['escape inside an autolink scheme', '<java\u001bscript:alert(1)>'],
];

async function postAndList(body: string, over: Record<string, unknown> = {}) {
  const post = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page: '/xss', body, ...over }) });
  const list = await call(server, 'GET', '/api/v1/sites/demo/comments?page=/xss');
  return { post, list };
}

describe('stored comment html stays inert whatever the body', () => {
  it('covers at least fifty known payloads', () => {
    expect(payloads.length + controlCharacterPayloads.length).toBeGreaterThanOrEqual(50);
  });

  it.each(payloads)('neutralises %s', async (_label, body) => {
    const { post, list } = await postAndList(body);
    expect(post.status).toBe(201);
    expect(list.body.comments).toHaveLength(1);
    const html: string = list.body.comments[0].html;
    expect(html).toBe(post.body.comment.html);
    expect(unsafeParts(html)).toEqual([]);
    // Nothing but the tags of the allow-list is markup, so the payload's own tags never survive as tags.
    expect(html).not.toMatch(/<(?!\/?(p|br|em|strong|s|del|a|code|pre|blockquote|ul|ol|li)[\s>\/])/i);
  });

  it.each(controlCharacterPayloads)('refuses %s with 400 naming body', async (_label, body) => {
    const { post, list } = await postAndList(body);
    expect(post.status).toBe(400);
    expect(post.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(post.body.errors).toEqual([{ path: 'body', code: 'control_characters', message: 'must not contain control characters' }]);
    expect(list.body.comments).toHaveLength(0);
  });

  it('keeps an edited body as inert as a posted one', async () => {
    const post = await call(server, 'POST', '/api/v1/sites/demo/comments', { body: commentInput({ page: '/xss', body: 'harmless' }) });
    for (const [, body] of payloads.slice(0, 25)) {
      const edit = await call(server, 'PATCH', `/api/v1/comments/${post.body.comment.id}`, { token: post.body.editToken, body: { body } });
      expect(edit.status).toBe(200);
      expect(unsafeParts(edit.body.comment.html)).toEqual([]);
    }
    const list = await call(server, 'GET', '/api/v1/sites/demo/comments?page=/xss');
    expect(unsafeParts(list.body.comments[0].html)).toEqual([]);
  });

  it('serves the Atom feed with only its own elements and inert comment html', async () => {
    for (const [, body] of payloads.slice(40, 90)) expect((await postAndList(body, { name: '<script>alert(1)</script>' })).post.status).toBe(201);
    for (const path of ['/api/v1/sites/demo/feed.atom?page=/xss', '/api/v1/sites/demo/feed.atom']) {
      const feed = await call(server, 'GET', path);
      expect(feed.status).toBe(200);
      const tags = new Set([...feed.text.matchAll(/<\/?([A-Za-z?][\w:-]*)/g)].map((m) => m[1]));
      expect([...tags].sort()).toEqual(['?xml', 'author', 'content', 'entry', 'feed', 'id', 'link', 'name', 'published', 'title', 'updated'].sort());
      const contents = [...feed.text.matchAll(/<content type="html">([^<]*)<\/content>/g)].map((m) => unescapeXml(m[1]));
      expect(contents).toHaveLength(50);
      for (const html of contents) expect(unsafeParts(html)).toEqual([]);
    }
  });
});

describe('payloads in the author fields', () => {
  const namePayloads = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '"><svg onload=alert(1)>',
    "'; alert(1); //",
    '<a href="javascript:alert(1)">me</a>',
    '[me](javascript:alert(1))',
    '&lt;script&gt;alert(1)&lt;/script&gt;',
  ];

  it.each(namePayloads)('keeps the name %s as plain text, never markup', async (name) => {
    const { post, list } = await postAndList('A comment with a tricky name', { name });
    expect(post.status).toBe(201);
    const author = list.body.comments[0].author;
    expect(author.name).toBe(name);
    const feed = await call(server, 'GET', '/api/v1/sites/demo/feed.atom?page=/xss');
    // The feed is XML: the name is escaped text inside <name>, so no new element appears.
    expect(feed.text).toContain(`<name>${escapeXml(name)}</name>`);
    expect(feed.text).not.toMatch(/<(script|img|svg|a)[\s>]/i);
  });

  const refusedWebsites = [
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'java\nscript:alert(1)',
    'javascript://example.com/%0Aalert(1)',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    '//evil.example/',
    '"><script>alert(1)</script>',
    'https://exa mple.com/" onmouseover="alert(1)',
  ];

  it.each(refusedWebsites)('refuses the website %j with 400 naming website', async (website) => {
    const { post, list } = await postAndList('A comment with a tricky website', { website });
    expect(post.status).toBe(400);
    expect(post.body.errors.map((e: { path: string }) => e.path)).toEqual(['website']);
    expect(list.body.comments).toHaveLength(0);
  });

  it.each(['https://example.com/"><script>alert(1)</script>', "https://example.com/?q='onmouseover='alert(1)"])(
    'stores the http(s) website %j as a URL whose scheme is still http(s)',
    async (website) => {
      const { post, list } = await postAndList('A comment with an odd but http website', { website });
      expect(post.status).toBe(201);
      expect(new URL(list.body.comments[0].author.website).protocol).toBe('https:');
    },
  );
});

describe('harmless Markdown still renders', () => {
  async function rendered(body: string): Promise<string> {
    const { post, list } = await postAndList(body);
    expect(post.status).toBe(201);
    const html: string = list.body.comments[0].html;
    expect(unsafeParts(html)).toEqual([]);
    return html;
  }

  it('renders emphasis, strong and strikethrough', async () => {
    expect(await rendered('*soft* **loud** ~~gone~~')).toBe('<p><em>soft</em> <strong>loud</strong> <s>gone</s></p>');
  });

  it('renders links, autolinks and bare URLs with the ugc rel', async () => {
    const html = await rendered('[site](https://example.com/a) <https://example.org/b> http://example.net/c mail <mailto:ada@example.com>');
    const links = elementsOf(html).filter((e) => e.tag === 'a');
    expect(links.map((l) => l.attrs.href)).toEqual([
      'https://example.com/a',
      'https://example.org/b',
      'http://example.net/c',
      'mailto:ada@example.com',
    ]);
    for (const l of links) expect(l.attrs).toEqual({ href: l.attrs.href, rel: LINK_REL });
  });

  it('renders inline code and fenced code blocks', async () => {
    const html = await rendered('Use `npm test`.\n\n```\nconst a = 1 < 2;\n```');
    expect(html).toContain('<code>npm test</code>');
    expect(html).toContain('<pre><code>const a = 1 &lt; 2;\n</code></pre>');
  });

  it('renders bulleted and numbered lists', async () => {
    const html = await rendered('- one\n- two\n\n3. three\n4. four');
    expect(elementsOf(html).map((e) => e.tag)).toEqual(['ul', 'li', 'li', 'ol', 'li', 'li']);
    expect(elementsOf(html).find((e) => e.tag === 'ol')!.attrs).toEqual({ start: '3' });
  });

  it('renders a blockquote', async () => {
    expect(await rendered('> quoted\n\nreply')).toBe('<blockquote>\n<p>quoted</p>\n</blockquote>\n<p>reply</p>');
  });

  it('shows raw HTML as text rather than markup', async () => {
    const body = 'I like <b>bold</b> & <i>italics</i> <script>alert(1)</script>';
    const html = await rendered(body);
    expect(elementsOf(html).map((e) => e.tag)).toEqual(['p']);
    expect(textOf(html)).toBe(body);
  });
});

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp);/g, (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e]!);
}
