import { ValidateBy, ValidationOptions } from 'class-validator';
import { CRAWL_LIMITS } from './crawl-row';

export interface NormalizedWebsiteUrl {
  /** Canonical form: the one stored, compared and looked up. */
  url: string;
  /** Host without a leading `www.`; derived here, never taken from the client. */
  domain: string;
}

/**
 * The one normalisation of a website URL, so "HTTPS://Example.com:443/about/#team" and
 * "https://example.com/about" are the same website (and the same unique key):
 * - http and https only; no user name or password; a host is required;
 * - scheme and host lower-cased (IDN hosts in their punycode form), default port dropped;
 * - fragment dropped; query kept as given;
 * - trailing slash: the root is always `/`, any other path has none (`/about/` → `/about`);
 * - at most 2,048 characters, before and after.
 * Returns the reason instead when the input is not acceptable.
 */
export function normalizeWebsiteUrl(input: string): NormalizedWebsiteUrl | { error: string } {
  const raw = input.trim();
  if (raw.length === 0) return { error: 'must not be empty' };
  if (raw.length > CRAWL_LIMITS.urlLength)
    return { error: `must be at most ${CRAWL_LIMITS.urlLength} characters` };
  // Control characters and spaces are silently stripped by the URL parser: refuse them instead.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f]/.test(raw))
    return { error: 'must not contain spaces or control characters' };
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return { error: 'must be an absolute http or https URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return { error: 'must use http or https' };
  if (parsed.username !== '' || parsed.password !== '')
    return { error: 'must not contain a user name or password' };
  if (!parsed.hostname) return { error: 'must name a host' };
  parsed.hash = '';
  if (parsed.pathname.length > 1 && parsed.pathname.endsWith('/'))
    parsed.pathname = parsed.pathname.replace(/\/+$/, '') || '/';
  const url = parsed.toString();
  if (url.length > CRAWL_LIMITS.urlLength)
    return { error: `must be at most ${CRAWL_LIMITS.urlLength} characters once normalised` };
  const host = parsed.hostname.toLowerCase();
  return { url, domain: host.startsWith('www.') && host.length > 4 ? host.slice(4) : host };
}

export function isNormalized(
  result: NormalizedWebsiteUrl | { error: string },
): result is NormalizedWebsiteUrl {
  return 'url' in result;
}

/** class-validator: an http(s) URL that normalizeWebsiteUrl accepts (the message says why not). */
export const IsWebsiteUrl = (options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isWebsiteUrl',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && isNormalized(normalizeWebsiteUrl(value)),
        defaultMessage: (args) => {
          const value: unknown = args?.value;
          const why =
            typeof value === 'string'
              ? (normalizeWebsiteUrl(value) as { error?: string }).error
              : 'must be a string';
          return `${args?.property} ${why ?? 'is not a valid website URL'}`;
        },
      },
    },
    options,
  );
