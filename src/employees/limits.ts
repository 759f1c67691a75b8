/** Late registration and corrections reach back at most 24 months (billing-cycle.md §5). */
export const retroactiveMonthsMax = 24;
/** A wage may be recorded ahead of time, up to a year. */
export const wageMonthsAheadMax = 12;
export const employeePageSizeMax = 500;
/** Rows one bulk upload may hold (the direct-link issue's figure). */
export const uploadRowsMax = 100_000;
/** Rows staged per INSERT while an upload streams in. */
export const stagingBatchSize = 5_000;
