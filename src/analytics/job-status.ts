import { ConflictException } from '@nestjs/common';

/** The life of an analysis or a tool generation. */
export const JOB_STATUSES = ['pending', 'processing', 'completed', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed'];

export const isTerminal = (status: JobStatus) => TERMINAL_STATUSES.includes(status);

const TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  pending: ['pending', 'processing', 'completed', 'failed'],
  processing: ['processing', 'completed', 'failed'],
  completed: [],
  failed: [],
};

/**
 * pending → processing | completed | failed; processing → completed | failed; completed and
 * failed are terminal: any change is a 409 with `currentStatus`. Staying in the same
 * non-terminal status is allowed (a PATCH of other fields).
 */
export function assertJobTransition(from: JobStatus, to: JobStatus, what: string): void {
  if (TRANSITIONS[from].includes(to)) return;
  throw new ConflictException({
    detail: isTerminal(from)
      ? `The ${what} is ${from}; it can no longer change`
      : `The ${what} cannot go from ${from} to ${to}`,
    extensions: { currentStatus: from },
  });
}
