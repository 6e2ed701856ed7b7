import type { Context } from 'hono';

/** Where a header is read from: a fetch `Headers`, or {@link requestHeaders} of a Hono context. */
export interface HeaderSource {
  get(name: string): string | null | undefined;
}

/**
 * The request's headers, read from Node's raw list when the request came through the
 * Node server: its `headers` object is built on first read, every header at once, which
 * costs a keyed GET about a microsecond that an unkeyed one never pays. A repeated
 * header comes back joined with ", " (so two API keys are never mistaken for one).
 */
export function requestHeaders(c: Context): HeaderSource {
  const raw = rawHeaders(c);
  if (!raw) return c.req.raw.headers;
  return { get: (name) => rawHeader(raw, name) };
}

/** One request header (`name` in lower case), as {@link requestHeaders} reads it; undefined when absent. */
export function requestHeader(c: Context, name: string): string | undefined {
  const raw = rawHeaders(c);
  return raw ? rawHeader(raw, name) : c.req.header(name);
}

function rawHeaders(c: Context): string[] | undefined {
  return (c.env as { incoming?: { rawHeaders?: string[] } } | undefined)?.incoming?.rawHeaders;
}

function rawHeader(raw: string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i] as string;
    if (key.length === name.length && key.toLowerCase() === name) {
      const found = (raw[i + 1] as string).trim();
      value = value === undefined ? found : `${value}, ${found}`;
    }
  }
  return value;
}
