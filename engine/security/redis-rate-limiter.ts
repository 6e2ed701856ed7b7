import { createClient } from 'redis';
import type { Logger } from '../log.ts';
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

/**
 * Limits through Redis. When Redis cannot answer, each request is decided by this
 * process's own limiter instead (the policy: never a 500, never everyone refused; limits
 * then hold per instance until Redis is back), and the log says so once per outage.
 */
export class RedisRateLimiter {
  readonly #client: ReturnType<typeof createClient>;
  readonly #local = new MemoryRateLimiter();
  readonly #logger: Logger;
  #degraded = false;

  constructor(url: string, logger: Logger) {
    this.#logger = logger;
    this.#client = createClient({
      url,
      disableOfflineQueue: true,
      socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(retries * 200, 2000) },
    });
    this.#client.on('error', () => {});
    this.#client.connect().catch(() => {});
  }

  async take(key: string, limit: RateLimit): Promise<RateDecision> {
    try {
      const interval = (limit.perSeconds * 1000) / limit.requests;
      const reply = await this.#client.sendCommand(['EVAL', GCRA, '1', PREFIX + key, String(interval), String(limit.perSeconds * 1000)]);
      const [allowed, tat, now] = reply as unknown as [number, number, number];
      if (this.#degraded) {
        this.#degraded = false;
        this.#logger.info('rate limits are shared through redis again');
      }
      // The same arithmetic as in process, from the stored time, for the headers.
      const { decision } = gcra(limit, allowed ? tat - interval : tat, now);
      return decision;
    } catch (error) {
      if (!this.#degraded) {
        this.#degraded = true;
        this.#logger.warn('rate limits cannot reach redis: each instance limits on its own until it is back', {
          error: (error as Error).message,
        });
      }
      return this.#local.take(key, limit);
    }
  }

  async close(): Promise<void> {
    await this.#client.close().catch(() => this.#client.destroy());
  }
}
