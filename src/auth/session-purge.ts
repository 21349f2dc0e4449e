import { Injectable } from '@nestjs/common';
import { PeriodicJobProvider, PeriodicJobs } from '../common/scheduling/periodic-jobs';
import { SESSION_PURGE_JOB, SessionsService } from './sessions.service';

/** Expired sessions are few and harmless until purged: hourly is plenty. */
export const SESSION_PURGE_SECONDS = 3_600;

/**
 * Runs SessionsService.purgeExpired every hour. Several instances may all run it: the purge
 * takes an advisory lock, so one works at a time (tests call it through PeriodicJobs.runNow).
 */
@Injectable()
export class SessionPurge extends PeriodicJobProvider {
  constructor(jobs: PeriodicJobs, sessions: SessionsService) {
    super(jobs, {
      name: SESSION_PURGE_JOB,
      everySeconds: SESSION_PURGE_SECONDS,
      run: () => sessions.purgeExpired(),
    });
  }
}
