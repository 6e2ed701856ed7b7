import postgres from 'postgres';
import { requireStore } from './stores.ts';

/** Where the real-server suites look for PostgreSQL. */
export const POSTGRES_TEST_URL =
  process.env.COUNCIL_TEST_POSTGRES_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Probes the PostgreSQL server once: `{ url, skip }` for `describe(..., { skip })`. */
export async function postgresServerGate(): Promise<{ url: string; skip: string | false }> {
  const gate = await requireStore(
    'postgres',
    async () => {
      const sql = postgres(POSTGRES_TEST_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
      try {
        await sql`select 1`;
      } finally {
        await sql.end({ timeout: 1 });
      }
    },
    { url: POSTGRES_TEST_URL, env: 'COUNCIL_TEST_POSTGRES_URL' },
  );
  return { url: POSTGRES_TEST_URL, skip: gate.skip };
}
