/**
 * What one user consumed, as increments (never absolute values): tasks created, completed and
 * failed, compute units and API calls. Emitted by the modules that do the work (tasks counts
 * its lifecycle, the API counts calls); aggregated per user and UTC day by the analytics module.
 */
export interface UsageDelta {
  userId: string;
  tasksCreated?: number;
  tasksCompleted?: number;
  tasksFailed?: number;
  computeUnits?: number;
  apiCalls?: number;
}

/**
 * Port: provided by the analytics module. Consumers inject it with @Optional() — until a
 * provider exists, recording is a no-op. record() never blocks or fails the caller: the
 * provider buffers and flushes in the background.
 */
export abstract class UsageRecorder {
  abstract record(delta: UsageDelta): void;
}
