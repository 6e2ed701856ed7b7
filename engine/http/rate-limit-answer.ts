import { HttpProblem } from '../errors/problem.ts';
import type { RateDecision } from '../security/rate-limit.ts';

/**
 * What a rate-limit decision means for the answer: throws the 429 past the limit; the
 * RateLimit-* headers once half the budget is used (before that they tell a client nothing
 * it must act on, and every header a response carries costs it on the hot path), else
 * nothing. `target` names what was limited (`this automation`, `/mcp`).
 */
export function rateLimitHeaders(decision: RateDecision, target: string): Record<string, string> | undefined {
  if (decision.allowed && decision.remaining * 2 >= decision.limit) return undefined;
  const headers = {
    'ratelimit-limit': String(decision.limit),
    'ratelimit-remaining': String(decision.remaining),
    'ratelimit-reset': String(decision.resetSeconds),
  };
  if (!decision.allowed) {
    throw new HttpProblem(
      'rate-limited',
      `too many requests from this client to ${target} (${decision.limit} per window); wait ${decision.retryAfterSeconds} s (Retry-After), then retry`,
      { headers: { ...headers, 'retry-after': String(decision.retryAfterSeconds) } },
    );
  }
  return headers;
}
