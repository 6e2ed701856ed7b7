import { type Logger, STORAGE_UNAVAILABLE } from '../log.ts';

/** `redis connection "cache"` at the start of a StorageError message: every adapter names its connection so. */
const CONNECTION_LABEL = /^(\w+ connection "([^"]+)")/;

interface Outage {
  readonly since: number;
  answered: number;
  probe: NodeJS.Timeout | undefined;
}

/**
 * The logger of the request path, which keeps the log readable while a store is down:
 * instead of one `storage unavailable` line per 503 (a 10 s Redis outage under load wrote
 * thousands), one warning when a connection's outage starts and one when it ends, with how
 * long it lasted and how many requests were answered 503 meanwhile. The end is found by
 * pinging the connection once a second (`ping`, bounded by its own timeout) until it
 * answers. Every other line goes through unchanged.
 *
 * @example
 * // {"level":"warn",...,"requestId":"01a2…","error":"redis connection \"cache\" is unavailable (ECONNREFUSED)","msg":"redis connection \"cache\" is unavailable: requests that need it answer 503 until it answers again"}
 * // {"level":"warn",...,"outageSeconds":10.2,"answered503":6209,"msg":"redis connection \"cache\" is back"}
 */
export class OutageLog implements Logger {
  readonly #logger: Logger;
  readonly #ping: (connection: string) => Promise<void>;
  readonly #probeEveryMs: number;
  readonly #outages = new Map<string, Outage>();
  #closed = false;

  constructor(logger: Logger, ping: (connection: string) => Promise<void>, probeEveryMs = 1000) {
    this.#logger = logger;
    this.#ping = ping;
    this.#probeEveryMs = probeEveryMs;
  }

  // Arrow properties: callers may pass the methods around unbound.
  readonly info = (message: string, fields?: Record<string, unknown>): void => this.#logger.info(message, fields);
  readonly error = (message: string, fields?: Record<string, unknown>): void => this.#logger.error(message, fields);
  readonly warn = (message: string, fields?: Record<string, unknown>): void => {
    const label = message === STORAGE_UNAVAILABLE ? CONNECTION_LABEL.exec(String(fields?.error ?? '')) : null;
    if (!label) {
      this.#logger.warn(message, fields);
      return;
    }
    const [, source = '', connection = ''] = label;
    const outage = this.#outages.get(source);
    if (outage) {
      outage.answered++;
      return;
    }
    this.#logger.warn(`${source} is unavailable: requests that need it answer 503 until it answers again`, fields);
    const started: Outage = { since: Date.now(), answered: 1, probe: undefined };
    this.#outages.set(source, started);
    this.#probe(source, connection, started);
  };

  /** Stops the probes (the engine is closing); an outage still open is logged as such. */
  close(): void {
    this.#closed = true;
    for (const [source, outage] of this.#outages) {
      clearTimeout(outage.probe);
      this.#logger.warn(`${source} was still unavailable at shutdown`, this.#figures(outage));
    }
    this.#outages.clear();
  }

  #probe(source: string, connection: string, outage: Outage): void {
    if (this.#closed) return;
    outage.probe = setTimeout(() => {
      this.#ping(connection).then(
        () => {
          this.#outages.delete(source);
          this.#logger.warn(`${source} is back`, this.#figures(outage));
        },
        () => this.#probe(source, connection, outage),
      );
    }, this.#probeEveryMs);
    outage.probe.unref();
  }

  #figures(outage: Outage): Record<string, unknown> {
    return { outageSeconds: Math.round((Date.now() - outage.since) / 100) / 10, answered503: outage.answered };
  }
}
