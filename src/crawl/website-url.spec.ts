import { normalizeWebsiteUrl } from './website-url';

describe('normalizeWebsiteUrl', () => {
  it.each([
    ['HTTPS://Example.COM', 'https://example.com/', 'example.com'],
    ['https://example.com/', 'https://example.com/', 'example.com'],
    ['https://www.Example.com:443/About/#team', 'https://www.example.com/About', 'example.com'],
    ['http://example.com:80/a/b/', 'http://example.com/a/b', 'example.com'],
    [
      'https://example.com:8443/x?b=2&a=1#frag',
      'https://example.com:8443/x?b=2&a=1',
      'example.com',
    ],
    ['  https://example.com/path//  ', 'https://example.com/path', 'example.com'],
    ['https://bücher.example/', 'https://xn--bcher-kva.example/', 'xn--bcher-kva.example'],
  ])('normalises %j to %j (domain %j)', (input, url, domain) => {
    expect(normalizeWebsiteUrl(input)).toEqual({ url, domain });
  });

  it('makes every spelling of the same site one key', () => {
    const spellings = [
      'https://example.com',
      'HTTPS://EXAMPLE.COM/',
      'https://example.com:443',
      'https://example.com/#top',
    ];
    expect(new Set(spellings.map((s) => JSON.stringify(normalizeWebsiteUrl(s)))).size).toBe(1);
  });

  it.each([
    ['javascript:alert(1)', 'must use http or https'],
    ['file:///etc/passwd', 'must use http or https'],
    ['ftp://example.com/', 'must use http or https'],
    ['data:text/html,hi', 'must use http or https'],
    ['https://user:secret@example.com/', 'must not contain a user name or password'],
    ['https://user@example.com/', 'must not contain a user name or password'],
    ['not a url', 'must not contain spaces or control characters'],
    ['example.com', 'must be an absolute http or https URL'],
    ['https://', 'must be an absolute http or https URL'],
    ['', 'must not be empty'],
    ['https://exa\u0000mple.com/', 'must not contain spaces or control characters'],
    [`https://example.com/${'a'.repeat(2048)}`, 'must be at most 2048 characters'],
  ])('refuses %j: %s', (input, error) => {
    expect(normalizeWebsiteUrl(input)).toEqual({ error });
  });

  it('refuses a URL that only grows past 2,048 characters once normalised', () => {
    const raw = `https://example.com/${'é'.repeat(1000)}`; // 1,020 characters, percent-encoded ×6
    expect(raw.length).toBeLessThanOrEqual(2048);
    expect(normalizeWebsiteUrl(raw)).toEqual({
      error: 'must be at most 2048 characters once normalised',
    });
  });
});
