import { HttpStatus } from '@nestjs/common';

/** RFC 9457 problem details: the one error format of the API. */
export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId?: string;
  errors?: FieldError[];
  /** Extension members (RFC 9457 §3.2), e.g. `currentStatus` on an illegal state change. */
  [extension: string]: unknown;
}

/** One stable type URI per kind of problem (documented in README, "Errors"). */
const KINDS: Record<number, { slug: string; title: string }> = {
  400: { slug: 'invalid-request', title: 'Invalid request' },
  401: { slug: 'unauthenticated', title: 'Authentication required' },
  402: { slug: 'quota-exceeded', title: 'Quota exceeded' },
  403: { slug: 'forbidden', title: 'Forbidden' },
  404: { slug: 'not-found', title: 'Not found' },
  405: { slug: 'method-not-allowed', title: 'Method not allowed' },
  408: { slug: 'request-timeout', title: 'Request timeout' },
  409: { slug: 'conflict', title: 'Conflict' },
  412: { slug: 'precondition-failed', title: 'Precondition failed' },
  413: { slug: 'payload-too-large', title: 'Payload too large' },
  414: { slug: 'uri-too-long', title: 'URI too long' },
  415: { slug: 'unsupported-media-type', title: 'Unsupported media type' },
  422: { slug: 'unprocessable', title: 'Unprocessable request' },
  429: { slug: 'rate-limited', title: 'Too many requests' },
  431: { slug: 'headers-too-large', title: 'Request headers too large' },
  500: { slug: 'internal', title: 'Internal server error' },
  503: { slug: 'unavailable', title: 'Service unavailable' },
};

export function problemKind(status: number): { type: string; title: string } {
  const kind = KINDS[status] ?? {
    slug: status >= 500 ? 'internal' : 'invalid-request',
    title: (HttpStatus[status] ?? 'Error').toString().replace(/_/g, ' ').toLowerCase(),
  };
  return { type: `/problems/${kind.slug}`, title: kind.title };
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';
