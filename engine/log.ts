/**
 * The warning `renderError` logs for each request answered 503 because a store cannot be
 * reached, with the error (which names the connection) as `error`; the request path's
 * logger (`registry/outage-log.ts`) turns them into one line per outage.
 */
export const STORAGE_UNAVAILABLE = 'storage unavailable';

/** Where the engine reports what happens. Tests pass {@link silentLogger}. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Human-readable lines on stderr: `level message key=value ...`. */
export const consoleLogger: Logger = {
  info: (message, fields) => write('info', message, fields),
  warn: (message, fields) => write('warn', message, fields),
  error: (message, fields) => write('error', message, fields),
};

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

function write(level: string, message: string, fields?: Record<string, unknown>): void {
  const extra = fields
    ? Object.entries(fields)
        .map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join('')
    : '';
  process.stderr.write(`${new Date().toISOString()} ${level} ${message}${extra}\n`);
}
