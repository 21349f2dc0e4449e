/** Counters of one UTC day (or their totals). */
export class UsageCountsResponse {
  tasksCreated: number;
  tasksCompleted: number;
  tasksFailed: number;
  computeUnitsConsumed: number;
  apiCalls: number;
}

export class UsageDayResponse extends UsageCountsResponse {
  /** UTC day, YYYY-MM-DD. */
  date: string;
}

export class UsageReportResponse {
  userId: string;
  from: string;
  to: string;
  /** Days with any usage, oldest first (days without usage are left out). */
  days: UsageDayResponse[];
  totals: UsageCountsResponse;
}
