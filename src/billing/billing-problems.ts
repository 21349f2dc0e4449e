import { HttpException, HttpStatus } from '@nestjs/common';

/** 402 `/problems/quota-exceeded`: the subscription has not enough compute units left. */
export class QuotaExceededException extends HttpException {
  constructor(detail = 'Your subscription has no compute units left in this billing period') {
    super({ type: '/problems/quota-exceeded', detail }, HttpStatus.PAYMENT_REQUIRED);
  }
}

/** 409 `/problems/concurrency-limit`: the plan's cap on concurrent tasks is reached. */
export class ConcurrencyLimitException extends HttpException {
  constructor(limit: number) {
    super(
      {
        type: '/problems/concurrency-limit',
        detail: `Your plan allows ${limit} pending or running task(s) at a time`,
        extensions: { maxConcurrentTasks: limit },
      },
      HttpStatus.CONFLICT,
    );
  }
}
