import { ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { FastifyRequest } from 'fastify';
import { markThrottled } from '../metrics/app-metrics';

/**
 * The stock guard, except that its 429 carries `retryAfterSeconds`, which the ProblemFilter
 * turns into the standard `Retry-After` header (as for every 429 of ours) whichever throttler
 * refused: the stock guard names it `Retry-After-<throttler>` for all but `default`, which
 * no client reads. Each refusal is counted in /metrics (http_requests_throttled_total).
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    markThrottled(context.switchToHttp().getRequest<FastifyRequest>());
    throw new HttpException(
      {
        detail: await this.getErrorMessage(context, detail),
        retryAfterSeconds: detail.timeToBlockExpire,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
