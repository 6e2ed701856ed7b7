import { createRequire } from 'node:module';
import type { DestinationStream, Logger as Pino } from 'pino';
import type { Logger } from '../log.ts';
import { UsageError } from './usage-error.ts';

/** pino's levels, most verbose first; `silent` writes nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogSettings {
  readonly level: LogLevel;
  /** `json`: one JSON object per line; `pretty`: pino-pretty's lines, for a person at a terminal. */
  readonly format: LogFormat;
  /** Colours in `pretty` lines (only on a terminal). */
  readonly colors?: boolean;
  /** A file descriptor (1: stdout) written synchronously, or a stream (tests). */
  readonly destination: number | DestinationStream;
}

/**
 * `LOG_LEVEL` (default `info`) and `LOG_FORMAT` (default `pretty` when stdout is a terminal,
 * else `json`), for a log on stdout. An empty variable counts as unset; any other value
 * that is not allowed is a {@link UsageError} naming the allowed ones.
 */
export function logSettings(env: NodeJS.ProcessEnv, stdoutIsTerminal: boolean): LogSettings {
  const level = oneOf('LOG_LEVEL', env.LOG_LEVEL, LOG_LEVELS) ?? 'info';
  const format = oneOf('LOG_FORMAT', env.LOG_FORMAT, LOG_FORMATS) ?? (stdoutIsTerminal ? 'pretty' : 'json');
  return { level, format, colors: format === 'pretty' && stdoutIsTerminal, destination: 1 };
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (!value) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${name} must be one of ${allowed.join(', ')}; got "${value}"`);
}

/**
 * The server's log: pino lines with `level` as a label, `time` as an ISO string, the
 * fields, then `msg`. Secrets never reach a line: fields that carry them by name are
 * censored, and a URL's credentials are cut from the message and every string field.
 *
 * @example
 * createLogger({ level: 'info', format: 'json', destination: 1 }).info('reload', { trigger: 'start', ms: 412.5 });
 * // {"level":"info","time":"2026-12-06T22:21:13.590Z","trigger":"start","ms":412.5,"msg":"reload"}
 */
export function createLogger(settings: LogSettings): Logger {
  // pino takes about 30 ms to load (measured here): loaded with the first line written, not
  // before `serve` has bound its port; a level that is off never loads it.
  let pino: Pino | undefined;
  const at = (level: 'info' | 'warn' | 'error') => {
    if (LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(settings.level)) return () => {};
    return (message: string, fields?: Record<string, unknown>) => {
      pino ??= build(settings);
      if (fields) pino[level](withoutCredentials(fields), hideCredentials(message));
      else pino[level](hideCredentials(message));
    };
  };
  return { info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * Field names whose values are secrets, censored at the top level and under `headers`. Named
 * paths, not `*.name`: pino's wildcard redaction cost 11 us a line against 2 (measured here),
 * more than the request an access line describes.
 */
const SECRET_FIELDS = ['authorization', 'cookie', 'set-cookie', 'x-api-key', 'apiKey', 'password', 'secret', 'token'];

const require = createRequire(import.meta.url);

function build({ level, format, colors, destination }: LogSettings): Pino {
  const pino = require('pino') as typeof import('pino');
  const out = typeof destination === 'number' ? pino.destination({ dest: destination, sync: true }) : destination;
  const options = {
    level,
    // No pid or hostname: one process per container, and the platform labels its lines.
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: SECRET_FIELDS.flatMap((name) => [`["${name}"]`, `headers["${name}"]`]), censor: '[redacted]' },
  };
  if (format === 'json') return pino(options, out);
  // pino-pretty's formatter, not its stream: a stream would write after the call, and lines
  // logged just before an exit would be lost. Loaded only when pretty lines are asked for.
  const { prettyFactory } = require('pino-pretty') as typeof import('pino-pretty');
  const prettify = prettyFactory({
    colorize: colors ?? false,
    singleLine: true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    // Our `error` fields are messages, shown in the line rather than as a stack below it.
    errorLikeObjectKeys: ['err'],
  });
  return pino(options, { write: (line: string) => out.write(prettify(line)) });
}

/** `scheme://user:password@host`: what a connection URL carries before its host. */
const CREDENTIALS = /\b([a-z][\w+.-]*:\/\/)[^\s/]*@/gi;

/** `postgres://app:s3cret@db:5432/x` → `postgres://***@db:5432/x`, anywhere in `text`. */
function hideCredentials(text: string): string {
  return text.includes('://') ? text.replace(CREDENTIALS, '$1***@') : text;
}

/** The fields, copied only when a string in them carries a URL's credentials. */
function withoutCredentials(fields: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key in fields) {
    const value = fields[key];
    if (typeof value !== 'string') continue;
    const hidden = hideCredentials(value);
    if (hidden !== value) {
      copy ??= { ...fields };
      copy[key] = hidden;
    }
  }
  return copy ?? fields;
}
