import { Injectable } from '@nestjs/common';
import { PeriodicJobProvider, PeriodicJobs } from '../common/scheduling/periodic-jobs';
import { AppConfig } from '../config/app-config';
import { LEASE_SWEEP_JOB, TasksService } from './tasks.service';

/**
 * Runs TasksService.sweepExpiredLeases every TASK_LEASE_SWEEP_SECONDS (default 30; 0 turns
 * it off, as the e2e suites do: they call the sweep themselves with a FixedClock). Several
 * instances may all run it: the sweep takes an advisory lock, so one works at a time.
 */
@Injectable()
export class LeaseSweeper extends PeriodicJobProvider {
  constructor(jobs: PeriodicJobs, tasks: TasksService, config: AppConfig) {
    super(jobs, {
      name: LEASE_SWEEP_JOB,
      everySeconds: config.tasks.leaseSweepSeconds,
      run: () => tasks.sweepExpiredLeases(),
    });
  }
}
