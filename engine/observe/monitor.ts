import { StoreCalls } from './counted-store.ts';
import { Usage } from './usage.ts';

/** Counts by one label value. */
export class CountBy {
  readonly #counts = new Map<string, number>();

  add(label: string): void {
    this.#counts.set(label, (this.#counts.get(label) ?? 0) + 1);
  }

  get(label: string): number {
    return this.#counts.get(label) ?? 0;
  }

  entries(): Iterable<[string, number]> {
    return this.#counts.entries();
  }
}

/**
 * What one engine counts as it runs, in plain numbers on the request path; `/metrics` and
 * the usage analytics read them (prom-client only formats, at scrape time).
 */
export class Monitor {
  /**
   * What is counted: `requests` (usage, for /metrics and the analytics) and `storeCalls`
   * (only /metrics reads them). The others are counted always: a rare event, one addition.
   */
  constructor(readonly counting: { readonly requests: boolean; readonly storeCalls: boolean } = { requests: true, storeCalls: true }) {}

  /** Automation requests by endpoint, caller and status class. */
  readonly usage = new Usage();
  /** Store calls by connection, method and outcome. */
  readonly storeCalls = new StoreCalls();
  /** Requests refused 429, by automation (`mcp` for the MCP endpoint's own limit). */
  readonly rateLimited = new CountBy();
  /** Writes answered from an earlier request's kept answer (Idempotency-Key), by automation. */
  readonly idempotentReplays = new CountBy();
  /** MCP tool calls by `tool\0outcome` (`ok`, `error`). */
  readonly toolCalls = new CountBy();
}
