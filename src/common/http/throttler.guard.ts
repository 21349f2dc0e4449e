import { ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';

/**
 * The stock guard, except that its 429 carries `retryAfterSeconds`, which the ProblemFilter
 * turns into the standard `Retry-After` header (as for every 429 of ours) whichever throttler
 * refused: the stock guard names it `Retry-After-<throttler>` for all but `default`, which
 * no client reads.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new HttpException(
      {
        detail: await this.getErrorMessage(context, detail),
        retryAfterSeconds: detail.timeToBlockExpire,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
