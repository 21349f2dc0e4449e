import { Injectable } from '@nestjs/common';
import { PeriodicJobProvider, PeriodicJobs } from '../common/scheduling/periodic-jobs';
import { AppConfig } from '../config/app-config';
import { SESSION_PURGE_JOB, SessionsService } from './sessions.service';

/**
 * Runs SessionsService.purgeExpired every SESSION_PURGE_SECONDS (default 3600: expired sessions
 * are few and harmless until purged; 0 turns it off). Several instances may all run it: the
 * purge takes an advisory lock, so one works at a time (tests call it through PeriodicJobs.runNow).
 */
@Injectable()
export class SessionPurge extends PeriodicJobProvider {
  constructor(jobs: PeriodicJobs, sessions: SessionsService, config: AppConfig) {
    super(jobs, {
      name: SESSION_PURGE_JOB,
      everySeconds: config.auth.sessionPurgeSeconds,
      run: () => sessions.purgeExpired(),
    });
  }
}
