import { ExecutionContext, SetMetadata } from '@nestjs/common';
import { FastifyRequest } from 'fastify';

const SEARCH_RATE_LIMITED = 'cornerstone:search-rate-limited';

/**
 * Marks a list route whose `search` query parameter makes it expensive (a substring match
 * over every row of the tenant): requests that carry a non-blank `search` are also counted
 * by the stricter `search` throttler (SEARCH_THROTTLE_LIMIT).
 */
export const SearchRateLimit = () => SetMetadata(SEARCH_RATE_LIMITED, true);

/** The `search` throttler's skipIf: everything but a search on a @SearchRateLimit route. */
export function isNotSearch(context: ExecutionContext): boolean {
  if (context.getType() !== 'http') return true;
  if (Reflect.getMetadata(SEARCH_RATE_LIMITED, context.getHandler()) !== true) return true;
  const query = context.switchToHttp().getRequest<FastifyRequest>().query as
    Record<string, unknown> | undefined;
  const search = query?.search;
  return typeof search !== 'string' || search.trim() === '';
}
