import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * How `council keys` finds a server running on the same data directory: the server
 * writes `<dataDir>/server.json` (mode 0600) with its pid, URL and a token made at start,
 * and removes it on close. Whoever can read that file can read the store itself, so the
 * token grants nothing more than the file system already does.
 */
export interface LocalServer {
  readonly pid: number;
  readonly url: string;
  readonly token: string;
}

export function newLocalToken(): string {
  return randomBytes(32).toString('base64url');
}

export function writeLocalServer(dataDir: string, server: LocalServer): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'server.json');
  writeFileSync(file, JSON.stringify(server), { mode: 0o600 });
  return () => rmSync(file, { force: true });
}

/** The server running on this data directory, if its file is there and its process alive. */
export function readLocalServer(dataDir: string): LocalServer | undefined {
  let server: LocalServer;
  try {
    server = JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as LocalServer;
    process.kill(server.pid, 0);
  } catch {
    return undefined;
  }
  return server;
}

/**
 * Calls the running server's `/admin` API with its local token. Resolves the JSON body,
 * or undefined on 404; rejects on any other failure, with the server's `detail`.
 */
export async function callLocalServer(
  server: LocalServer,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ data?: unknown; secret?: string; detail?: string } | undefined> {
  const response = await fetch(`${server.url}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as { data?: unknown; secret?: string; detail?: string };
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`the running server at ${server.url} answered ${response.status}: ${json.detail ?? ''}`);
  return json;
}

export function sameToken(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
