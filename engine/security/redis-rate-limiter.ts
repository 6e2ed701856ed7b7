import { createClient } from 'redis';
import type { Logger } from '../log.ts';
import { settleWithin } from '../request/deadline.ts';
import { gcra, MemoryRateLimiter, type RateDecision, type RateLimit } from './rate-limit.ts';

/**
 * GCRA in Redis, so every server instance draws on one budget per client. One script
 * reads and updates the arrival time atomically, on the server's clock (instances'
 * clocks may differ); the key expires once the window has passed.
 * KEYS[1]: the client's key. ARGV: interval ms, window ms. Returns {allowed, tat, now}.
 */
const GCRA = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local interval, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local nextTat = tat + interval
if nextTat - now <= window then
  redis.call('SET', KEYS[1], nextTat, 'PX', math.ceil(nextTat - now))
  return {1, nextTat, now}
end
return {0, tat, now}
`;

const PREFIX = 'council:ratelimit:';
/** `rateLimit.timeoutMs` when the config does not set it. */
export const LIMITER_TIMEOUT_MS = 20;
/** Commands a frozen Redis may hold at most; past it a command fails at once (and the request is decided locally). */
const QUEUE_LIMIT = 1000;
/** How often, while Redis cannot answer, one PING asks whether it is back. */
const PROBE_EVERY_MS = 1000;

/** The limiter's Redis stopped answering within its deadline: decided locally. */
class LimiterTimeout extends Error {}

/**
 * Limits through Redis. Each call waits at most `timeoutMs` (`rateLimit.timeoutMs`, a few
 * milliseconds: far below any request's deadline). When Redis cannot answer in time (down,
 * refusing, or frozen), requests are decided by this process's own limiter instead (the
 * policy: never a 500, never everyone refused, never a request held up by the limiter;
 * limits then hold per instance until Redis is back), and Redis is left alone: no request
 * waits on it or queues a command for it while one PING a second asks whether it is back.
 * The log says so once when the outage starts and once when it ends, with its length and
 * how many requests were decided locally meanwhile.
 */
export class RedisRateLimiter {
  readonly #client: ReturnType<typeof createClient>;
  readonly #local = new MemoryRateLimiter();
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  /** Set while Redis cannot answer: since when, requests decided locally, the probe timer. */
  #outage: { since: number; local: number; probe: NodeJS.Timeout | undefined } | undefined;
  #closed = false;

  constructor(url: string, logger: Logger, timeoutMs: number) {
    this.#logger = logger;
    this.#timeoutMs = timeoutMs;
    this.#client = createClient({
      url,
      disableOfflineQueue: true,
      commandsQueueMaxLength: QUEUE_LIMIT,
      socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(retries * 200, 2000) },
    });
    // A connection that fails (at start, or dropped later) starts an outage; so does a call
    // past its deadline (a frozen Redis keeps its connection and answers nothing).
    this.#client.on('error', (error: unknown) => this.#down(error));
    this.#client.connect().catch(() => {});
  }

  take(key: string, limit: RateLimit): RateDecision | Promise<RateDecision> {
    // Also before the first connection is made: nothing to wait for.
    if (this.#outage || !this.#client.isReady) {
      if (this.#outage) this.#outage.local++;
      return this.#local.take(key, limit);
    }
    const interval = (limit.perSeconds * 1000) / limit.requests;
    const reply = this.#client.sendCommand(['EVAL', GCRA, '1', PREFIX + key, String(interval), String(limit.perSeconds * 1000)]);
    return settleWithin(
      reply,
      this.#timeoutMs,
      () => new LimiterTimeout(`redis did not answer within ${this.#timeoutMs} ms (rateLimit.timeoutMs)`),
    ).then(
      (answer) => {
        const [allowed, tat, now] = answer as unknown as [number, number, number];
        // The same arithmetic as in process, from the stored time, for the headers.
        return gcra(limit, allowed ? tat - interval : tat, now).decision;
      },
      (error: unknown) => {
        this.#down(error);
        if (this.#outage) this.#outage.local++;
        return this.#local.take(key, limit);
      },
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#outage?.probe);
    await this.#client.close().catch(() => this.#client.destroy());
  }

  /** The outage starts (once): logged, and a probe asks whether Redis is back. */
  #down(error: unknown): void {
    if (this.#outage || this.#closed) return;
    const reason = error instanceof Error ? error.message || error.name : String(error);
    this.#outage = { since: Date.now(), local: 0, probe: undefined };
    this.#logger.warn('rate limits cannot reach redis: each instance limits on its own until it is back', { error: reason });
    this.#probe(0);
  }

  /**
   * One PING at a time, with no deadline of its own: it settles as soon as Redis answers (a
   * Redis that was only slow, or frozen and resumed: back at once), or fails at once while
   * the connection is down (then again after a second). A frozen Redis holds one command.
   */
  #probe(delay: number): void {
    const outage = this.#outage;
    if (!outage || this.#closed) return;
    outage.probe = setTimeout(() => {
      this.#client.sendCommand(['PING']).then(
        () => this.#up(),
        () => this.#probe(PROBE_EVERY_MS),
      );
    }, delay);
    outage.probe.unref();
  }

  #up(): void {
    const outage = this.#outage;
    if (!outage) return;
    this.#outage = undefined;
    this.#logger.warn('rate limits are shared through redis again', {
      outageSeconds: Math.round((Date.now() - outage.since) / 100) / 10,
      decidedLocally: outage.local,
    });
  }
}
