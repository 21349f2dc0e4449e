import { Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import { ExecutionContext } from '@nestjs/common';
import { FastifyReply } from 'fastify';

/**
 * The stock guard, except that a 429 from any named throttler (not only `default`) carries
 * the standard `Retry-After` header: the stock one names it `Retry-After-<throttler>`,
 * which no client reads.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    if (!reply.getHeader('retry-after')) reply.header('Retry-After', detail.timeToBlockExpire);
    return super.throwThrottlingException(context, detail);
  }
}
