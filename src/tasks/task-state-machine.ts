import { ConflictException } from '@nestjs/common';
import { TaskStatus } from './task.entity';

/**
 * The task lifecycle, in one place: every status change the service makes is checked here
 * first, and an illegal one is a 409 carrying the current status.
 *
 *   pending → running (claim) | cancelled (cancel)
 *   running → completed (complete) | failed (fail, or lease expired after max attempts)
 *           | pending (retryable failure or expired lease with attempts left) | cancelled (cancel)
 *   completed, failed, cancelled: final
 */
export const TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  pending: ['running', 'cancelled'],
  running: ['completed', 'failed', 'pending', 'cancelled'],
  completed: [],
  failed: [],
  cancelled: [],
};

export const FINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** 409 with `currentStatus` in the problem body. */
export class IllegalTransitionException extends ConflictException {
  constructor(current: TaskStatus, detail: string) {
    super({ detail, extensions: { currentStatus: current } });
  }
}

export function assertTransition(from: TaskStatus, to: TaskStatus, action: string): void {
  if (!canTransition(from, to)) {
    throw new IllegalTransitionException(from, `Cannot ${action} a task that is ${from}`);
  }
}

export function isFinished(status: TaskStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

export function canBeCancelled(status: TaskStatus): boolean {
  return canTransition(status, 'cancelled');
}

/** CU for a run: whole minutes rounded up, at least 1 (1 CU = 1 minute). */
export function computeUnitsFor(startedAt: Date | null, endedAt: Date): number {
  const ms = startedAt ? Math.max(0, endedAt.getTime() - startedAt.getTime()) : 0;
  return Math.max(1, Math.ceil(ms / 60_000));
}
