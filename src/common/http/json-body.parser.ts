import { FastifyInstance, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';

/** Deeper JSON than this is refused before parsing: no request shape of the API comes close. */
export const MAX_JSON_DEPTH = 32;
/**
 * Keys per object and in the whole body. class-transformer (the global ValidationPipe's
 * `transform`) de-duplicates an object's keys in O(n²): 100,000 keys in one object held the
 * event loop for ~10 s. No request shape comes close (a batch of 500 task log lines with
 * metadata stays far below), so wider bodies are refused before any parsing or transformation.
 */
export const MAX_JSON_KEYS_PER_OBJECT = 1_000;
export const MAX_JSON_KEYS_TOTAL = 20_000;

type ShapeProblem = 'too-deep' | 'too-many-keys' | null;

/**
 * One pass over the text, before JSON.parse: nesting depth, keys per object and keys in all.
 * Outside strings, a `:` only ever separates a key from its value in the innermost open object.
 */
export function checkJsonShape(
  text: string,
  limits = { depth: MAX_JSON_DEPTH, keys: MAX_JSON_KEYS_PER_OBJECT, total: MAX_JSON_KEYS_TOTAL },
): ShapeProblem {
  // keys[d]: keys seen so far in the object open at depth d (arrays count nothing).
  const keys = new Int32Array(limits.depth + 2);
  let depth = 0;
  let total = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > limits.depth) return 'too-deep';
      keys[depth] = 0;
    } else if (c === 125 || c === 93) depth = Math.max(0, depth - 1);
    else if (c === 58 /* : */) {
      if (++keys[depth] > limits.keys || ++total > limits.total) return 'too-many-keys';
    }
  }
  return null;
}

/**
 * Text no API field can hold: a lone UTF-16 surrogate (validator.js throws on it, UTF-8 cannot
 * carry it) or a NUL character (PostgreSQL text refuses it).
 */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const ILL_FORMED = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

class IllFormedText extends Error {}

function rejectIllFormed(key: string, value: unknown): unknown {
  if (ILL_FORMED.test(key) || (typeof value === 'string' && ILL_FORMED.test(value)))
    throw new IllFormedText();
  return value;
}

function badRequest(code: string, message: string): Error & { statusCode: number; code: string } {
  return Object.assign(new Error(message), { statusCode: 400, code });
}

/**
 * The only body parser besides multipart: JSON, with prototype-poisoning keys refused
 * (__proto__, constructor.prototype), nesting and key counts bounded. Any other content type is 415.
 */
export function registerJsonBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    /^application\/([\w.+-]+\+)?json(;.*)?$/i,
    { parseAs: 'string', bodyLimit },
    (
      request: FastifyRequest,
      body: string | Buffer,
      done: (err: Error | null, body?: unknown) => void,
    ) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      // The exact text as received, for signature checks over the raw body (webhooks).
      (request as FastifyRequest & { rawBody?: string }).rawBody = text;
      if (text.trim() === '')
        return done(badRequest('FST_ERR_CTP_EMPTY_JSON_BODY', 'empty JSON body'));
      const shape = checkJsonShape(text);
      if (shape === 'too-deep') {
        return done(badRequest('CS_JSON_TOO_DEEP', `JSON nested deeper than ${MAX_JSON_DEPTH}`));
      }
      if (shape === 'too-many-keys') {
        return done(badRequest('CS_JSON_TOO_MANY_KEYS', 'JSON object with too many keys'));
      }
      try {
        // The reviver only runs when the text escapes a surrogate or NUL (raw control characters are invalid JSON anyway).
        const reviver = /\\u([dD][89a-fA-F]|0000)/.test(text) ? rejectIllFormed : undefined;
        done(
          null,
          secureJson.parse(text, reviver, { protoAction: 'error', constructorAction: 'error' }),
        );
      } catch (error) {
        if (error instanceof IllFormedText) {
          return done(
            badRequest(
              'CS_JSON_ILL_FORMED',
              'the body contains a NUL character or a lone UTF-16 surrogate',
            ),
          );
        }
        const proto = /prototype|__proto__|constructor/i.test((error as Error).message);
        done(
          badRequest(
            proto ? 'FST_PROTO_VIOLATION' : 'FST_ERR_CTP_INVALID_JSON_BODY',
            (error as Error).message,
          ),
        );
      }
    },
  );
}
