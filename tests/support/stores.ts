/**
 * Gates suites that need a real store. A store that does not answer is skipped
 * loudly, with its name and why, unless `COUNCIL_TEST_REQUIRE` (a comma list such as
 * `postgres,redis`) names it: then the suite fails, so CI cannot pass by skipping.
 *
 * @example
 * const gate = await requireStore('postgres', () => ping(url), { url, env: 'COUNCIL_TEST_POSTGRES_URL' });
 * describe('postgres server', { skip: gate.skip }, () => { ... });
 */

export type StoreName = 'postgres' | 'redis' | 'mongodb' | 'opensearch' | 'elasticsearch' | 'mysql' | 'dynamodb';

export interface StoreGate {
  /** A reason to pass to `describe(name, { skip })`, or false when the store answered. */
  readonly skip: string | false;
}

export interface StoreLocation {
  /** Where the store was looked for; credentials are stripped before it is shown. */
  readonly url?: string;
  /** The environment variable that points the tests at another instance. */
  readonly env?: string;
}

export async function requireStore(name: StoreName, probe: () => Promise<void>, location: StoreLocation = {}): Promise<StoreGate> {
  try {
    await probe();
    return { skip: false };
  } catch (error) {
    const at = location.url ? ` at ${redactUrl(location.url)}` : '';
    const hint = location.env ? ` (set ${location.env})` : '';
    const reason = `${name} server not reachable${at}${hint}: ${describeError(error, location.url)}`;
    if (requiredStores().includes(name)) {
      throw new Error(`${reason}; COUNCIL_TEST_REQUIRE includes "${name}", so this suite must not be skipped`);
    }
    const skip = `${reason}; skipped`;
    console.log(`# ${skip}`);
    return { skip };
  }
}

/** `host:port/path` of a URL, with user and password left out. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(unparsable url)';
  }
}

function requiredStores(): string[] {
  return (process.env.COUNCIL_TEST_REQUIRE ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

function describeError(error: unknown, url: string | undefined): string {
  const code = (error as { code?: unknown } | null)?.code;
  const text = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  return url ? scrub(text, url) : text;
}

/** Drivers rarely echo credentials, but a message must never carry them. */
function scrub(text: string, url: string): string {
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {}
  let out = text.split(url).join('(url)');
  if (password) out = out.split(password).join('***');
  return out;
}

/**
 * Gates suites of a store that only exists when an environment variable points at it
 * (MongoDB, OpenSearch, Elasticsearch: no server can run on the development machines). Unset, the
 * suites skip with one plain line saying so, unless COUNCIL_TEST_REQUIRE names the store.
 */
export async function requireStoreFromEnv(
  name: StoreName,
  env: string,
  probe: (url: string) => Promise<void>,
): Promise<StoreGate & { readonly url: string | undefined }> {
  const url = process.env[env];
  if (url) return { url, ...(await requireStore(name, () => probe(url), { url, env })) };
  const reason = `${name} suites skipped: ${env} is not set (no ${name} server configured)`;
  if (requiredStores().includes(name)) throw new Error(`${reason}; COUNCIL_TEST_REQUIRE includes "${name}", so they must run`);
  console.log(`# ${reason}`);
  return { url, skip: reason };
}
