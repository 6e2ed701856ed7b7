/**
 * Rate limits with GCRA (the generic cell rate algorithm): each client of an automation
 * has a "theoretical arrival time"; a request is allowed while it is not more than one
 * window ahead of now. It allows bursts of `requests` and then one request every
 * `window / requests`, keeps one number per client, and gives an exact Retry-After.
 */
export interface RateLimit {
  readonly requests: number;
  readonly perSeconds: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  /** Requests still allowed right now. */
  readonly remaining: number;
  /** Seconds until the window is full again (RateLimit-Reset). */
  readonly resetSeconds: number;
  /** Seconds to wait before the next request is allowed (Retry-After), when refused. */
  readonly retryAfterSeconds: number;
}

/** Decides one request against the stored arrival time; returns the decision and the time to store. */
export function gcra(limit: RateLimit, tat: number | undefined, now: number): { decision: RateDecision; tat: number } {
  const interval = (limit.perSeconds * 1000) / limit.requests;
  const window = limit.perSeconds * 1000;
  const current = Math.max(tat ?? now, now);
  const next = current + interval;
  const allowed = next - now <= window;
  const stored = allowed ? next : current;
  const used = stored - now;
  return {
    tat: stored,
    decision: {
      allowed,
      limit: limit.requests,
      remaining: Math.max(0, Math.floor((window - used) / interval)),
      resetSeconds: Math.ceil(used / 1000),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((next - window - now) / 1000)),
    },
  };
}

/** Where counts live: this process, or a store every instance shares. */
export interface RateLimiter {
  take(key: string, limit: RateLimit): RateDecision | Promise<RateDecision>;
  close?(): Promise<void>;
}

/** In-process limiter: one arrival time per client key; stale ones are swept as the map grows. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #tats = new Map<string, number>();
  #sweepAt = 10_000;

  take(key: string, limit: RateLimit, now = Date.now()): RateDecision {
    const { decision, tat } = gcra(limit, this.#tats.get(key), now);
    this.#tats.set(key, tat);
    if (this.#tats.size > this.#sweepAt) this.#sweep(now);
    return decision;
  }

  #sweep(now: number): void {
    for (const [key, tat] of this.#tats) if (tat <= now) this.#tats.delete(key);
    this.#sweepAt = Math.max(10_000, this.#tats.size * 2);
  }
}
