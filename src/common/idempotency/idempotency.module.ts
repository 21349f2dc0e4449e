import { Global, Injectable, Module } from '@nestjs/common';
import { Clock } from '../clock/clock';
import { PeriodicJobProvider, PeriodicJobs } from '../scheduling/periodic-jobs';
import { AppConfig } from '../../config/app-config';
import { purgeUnderLock } from '../../database/batched-delete';
import { UnitOfWork } from '../../database/unit-of-work';
import { IdempotencyRepository } from './idempotency.repository';

export const IDEMPOTENCY_PURGE_JOB = 'idempotency-purge';
const PURGE_BATCH = 1000;

/**
 * Deletes expired idempotency keys every IDEMPOTENCY_PURGE_SECONDS (0: never), one instance at
 * a time (advisory lock). Expired keys are already treated as absent when a request meets one;
 * the purge only keeps the table small.
 */
@Injectable()
export class IdempotencyPurge extends PeriodicJobProvider {
  constructor(
    jobs: PeriodicJobs,
    config: AppConfig,
    private readonly repository: IdempotencyRepository,
    private readonly uow: UnitOfWork,
    private readonly clock: Clock,
  ) {
    super(jobs, {
      name: IDEMPOTENCY_PURGE_JOB,
      everySeconds: config.idempotency.purgeSeconds,
      run: () => this.purgeExpired(),
    });
  }

  /** How many keys it deleted; null when another instance holds the lock. */
  async purgeExpired(): Promise<number | null> {
    const now = this.clock.now();
    return purgeUnderLock(this.uow, IDEMPOTENCY_PURGE_JOB, PURGE_BATCH, (limit, tx) =>
      this.repository.purgeExpiredBatch(now, limit, tx),
    );
  }
}

/**
 * Idempotency-Key for every route that declares @Idempotent() (README, "Idempotency"). Global and
 * exporting its repository only because Nest builds a route-level interceptor in the module of
 * the controller that uses it: IdempotencyInterceptor is the one caller.
 */
@Global()
@Module({
  providers: [IdempotencyRepository, IdempotencyPurge],
  exports: [IdempotencyRepository],
})
export class IdempotencyModule {}
