import { parseArgs } from 'node:util';
import { timeFromText } from '../analytics/time-text.ts';
import { silentLogger } from '../log.ts';
import { ConnectionPool } from '../registry/connections.ts';
import { AuditLog, type AuditRecord } from '../security/audit-log.ts';
import { auditStoreOf } from '../security/audit-open.ts';
import { SYSTEM_CONNECTION } from '../security/key-store.ts';
import { callLocalServer } from '../server/local-admin.ts';
import { auditFlags } from './flags.ts';
import { projectConfig, UsageError } from './options.ts';
import { isEmbedded, storeRoute } from './store-route.ts';

/**
 * Prints the audit log, newest first: one line per entry (time, actor, action, where,
 * outcome). Through a running server on the same data directory when there is one.
 */
export async function auditCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: auditFlags,
  });
  const since = values.since === undefined ? undefined : sinceTime(values.since);
  const limit = values.limit === undefined ? 100 : Number(values.limit);
  if (!(Number.isSafeInteger(limit) && limit >= 1 && limit <= 1000)) throw new UsageError('--limit takes an integer from 1 to 1000');
  const query = { limit, ...(since ? { since } : {}), ...(values.automation ? { automation: values.automation } : {}) };
  const config = projectConfig(values);
  const route = await storeRoute(config);
  if (route.kind === 'busy' && isEmbedded(config, SYSTEM_CONNECTION)) {
    console.error(`council audit: ${route.message}`);
    return 1;
  }
  const pool = new ConnectionPool(config.connections, config.dataDir);
  try {
    let entries: AuditRecord[];
    if (route.kind === 'server') {
      const params = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
      entries = ((await callLocalServer(route.server, 'GET', `/audit?${params}`))?.data ?? []) as AuditRecord[];
    } else {
      const audit = new AuditLog(auditStoreOf(pool), silentLogger);
      try {
        entries = await audit.list(query);
      } finally {
        await audit.close();
      }
    }
    for (const e of entries) console.log(line(e));
    return 0;
  } catch (error) {
    console.error(`council audit: the system store (connection "${SYSTEM_CONNECTION}") could not be read: ${(error as Error).message}`);
    return 1;
  } finally {
    await pool.closeAll();
  }
}

function sinceTime(text: string): string {
  const ms = timeFromText(text);
  if (ms === undefined) throw new UsageError('--since takes a duration (30m, 24h, 7d) or an ISO time');
  return new Date(ms).toISOString();
}

function line(e: AuditRecord): string {
  const where = [e.automation, e.recordId].filter(Boolean).join('/') || '-';
  return [e.createdAt, e.actor, e.action, where, e.outcome, e.status ?? '-', e.detail ?? '', e.requestId ? `request ${e.requestId}` : '']
    .filter((part) => part !== '')
    .join('  ');
}
