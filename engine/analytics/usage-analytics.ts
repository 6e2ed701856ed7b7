import type { UsageQuery, UsageReport } from './report.ts';

/** The usage analytics of a running engine: `/admin/analytics` and the console's usage page read its report. */
export interface UsageAnalytics {
  /** The report of every instance's rows, with what this one counted since its last flush. */
  report(query: UsageQuery): Promise<UsageReport>;
  close(): Promise<void>;
}
