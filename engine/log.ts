/**
 * The warning `renderError` logs for each request answered 503 because a store cannot be
 * reached, with the error (which names the connection) as `error`; the request path's
 * logger (`registry/outage-log.ts`) turns them into one line per outage.
 */
export const STORAGE_UNAVAILABLE = 'storage unavailable';

/**
 * Where the engine reports what happens: one line per call, `message` with `fields` beside it
 * (`cli/logger.ts` writes them as pino's JSON lines). Tests pass {@link silentLogger}.
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
