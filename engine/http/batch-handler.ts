import type { Context } from 'hono';
import { BatchAborted, type BatchWrite, type RecordStore, StorageError, type StoredRecord } from '../../adapters/types.ts';
import type { AutomationPlan } from '../compile/plan.ts';
import { type FieldError, HttpProblem } from '../errors/problem.ts';
import { silentLogger } from '../log.ts';
import { newRecordId } from '../request/record-id.ts';
import { requestIdOf } from '../request/request-id.ts';
import { scopeOf } from '../request/route-table.ts';
import { guardHeaders, jsonAnswer } from './answer.ts';
import { type BatchItem, checkBatchAccess, parseBatch } from './batch-body.ts';
import { renderError } from './errors.ts';
import { ifMatchCheck, nextUpdatedAt } from './etag.ts';
import type { Handler, RecordLinks } from './record-handlers.ts';
import { checkReferencesOf } from './reference-checks.ts';

/** What the batch shares with the single writes of record-handlers.ts, so both treat a body alike. */
export interface WriteRules {
  readonly readBody: (c: Context) => Promise<Record<string, unknown>>;
  /** The schema's errors of a create or replace body (after clearing nulls), or none. */
  readonly errorsOf: (data: Record<string, unknown>) => FieldError[];
  /** The next record of a merge patch, validated: throws a 422 HttpProblem. */
  readonly patched: (current: StoredRecord, patch: Record<string, unknown>) => StoredRecord;
  /** Runs `write` once per Idempotency-Key and body. */
  readonly once: (c: Context, body: Record<string, unknown>, write: () => Promise<Response>) => Promise<Response>;
}

/** One operation's outcome in the answer. */
interface ItemResult {
  readonly op: BatchItem['op'];
  readonly status: number;
  readonly id?: string | undefined;
  readonly data?: StoredRecord;
  readonly problem?: { readonly code: string; readonly detail: string; readonly errors?: readonly FieldError[] };
}

/**
 * `POST /NAME/batch`: up to `pagination.maxBatch` creates, updates, replaces and deletes.
 * Everything is checked first (shapes, schemas, scopes, references), and nothing is written
 * if anything fails. Then, on a store with transactions (`writeAll`: memory, PostgreSQL,
 * Redis), every write or none: the first that fails answers for the batch. Elsewhere the
 * writes run in order and each answers for itself. Each write is audited on its own.
 */
export function batchHandler(plan: AutomationPlan, store: RecordStore, rules: WriteRules, links: RecordLinks | undefined): Handler {
  const atomic = store.writeAll !== undefined;
  const referred = () => (links?.related.referrers(plan.name).length ?? 0) > 0;
  return async (c) => {
    const raw = await rules.readBody(c);
    return rules.once(c, raw, async () => {
      const items = parseBatch(plan, raw, rules.errorsOf);
      checkBatchAccess(plan, items, scopeOf(c)?.granted);
      const deletes = items.findIndex((item) => item.op === 'delete');
      if (deletes !== -1 && referred()) {
        // A delete here must restrict, cascade or clear what refers to it: that runs record by record.
        const message = `${plan.name} records are referred to by other automations, so each delete runs on its own: DELETE ${plan.basePath}/{id}`;
        throw new HttpProblem('validation-failed', `the batch was not run, nothing was written: /operations/${deletes}/op ${message}`, {
          errors: [{ pointer: `/operations/${deletes}/op`, message }],
        });
      }
      if (links && plan.references.length) {
        const bodies = items.flatMap((item, i) => (item.data ? [{ body: item.data, at: `/operations/${i}/data` }] : []));
        await checkReferencesOf(plan, bodies, links.related);
      }
      const writes = items.map((item) => toWrite(item, plan, rules));
      const results = atomic ? await allOrNothing(store, writes, items) : await oneByOne(store, writes, items, links);
      audit(c, plan, results, links);
      const failed = results.filter((r) => r.status >= 400).length;
      const meta = { atomic, written: results.length - failed, failed };
      let body = JSON.stringify({ data: results, meta });
      // Past the response budget the records are left out; their ids say what to read.
      if (body.length > plan.pagination.maxResponseChars) {
        body = JSON.stringify({ data: results.map(({ data: _data, ...rest }) => rest), meta: { ...meta, truncated: true } });
      }
      return jsonAnswer(c, body, 200);
    });
  };
}

/** The store write of one checked operation; the engine fields are the engine's. */
function toWrite(item: BatchItem, plan: AutomationPlan, rules: WriteRules): BatchWrite {
  const check = item.op === 'create' ? undefined : ifMatchCheck(item.ifMatch, plan.requireIfMatch, plan.basePath);
  const data = withoutNulls(item.data ?? {});
  switch (item.op) {
    case 'create': {
      const now = new Date().toISOString();
      return { op: 'create', record: { id: newRecordId(), createdAt: now, updatedAt: now, ...data } };
    }
    case 'replace':
      return {
        op: 'modify',
        id: item.id as string,
        change: (current) => {
          check?.(current);
          return { id: current.id, createdAt: current.createdAt, updatedAt: nextUpdatedAt(current.updatedAt), ...data };
        },
      };
    case 'update':
      return {
        op: 'modify',
        id: item.id as string,
        change: (current) => {
          check?.(current);
          return rules.patched(current, item.data ?? {});
        },
      };
    case 'delete':
      return { op: 'delete', id: item.id as string, ...(check ? { check } : {}) };
  }
}

function withoutNulls(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== null));
}

/** Every write in one transaction; the first that fails is the batch's answer, with its pointers under `/operations/N`. */
async function allOrNothing(store: RecordStore, writes: readonly BatchWrite[], items: readonly BatchItem[]): Promise<ItemResult[]> {
  try {
    const stored = await (store.writeAll as NonNullable<RecordStore['writeAll']>).call(store, writes);
    return stored.map((record, i) => success(items[i] as BatchItem, record));
  } catch (error) {
    if (!(error instanceof BatchAborted)) throw error;
    const at = `/operations/${error.index}`;
    const item = items[error.index] as BatchItem;
    if (error.reason === 'missing') {
      const message = `no record has id "${item.id}"; list to find existing ids`;
      throw new HttpProblem('not-found', `the batch was rolled back, nothing was written: ${at}/id ${message}`, {
        errors: [{ pointer: `${at}/id`, message }],
      });
    }
    const cause = error.cause;
    if (cause instanceof StorageError && (cause.kind === 'unavailable' || cause.kind === 'timeout')) throw cause;
    const problem = await problemOf(cause);
    if (!problem) throw cause;
    const errors = (problem.errors ?? [{ pointer: '', message: problem.detail }]).map((e) => ({
      ...e,
      pointer: itemPointer(at, item, e.pointer),
    }));
    throw new HttpProblem(
      problem.code as HttpProblem['code'],
      `the batch was rolled back, nothing was written: ${at} (${item.op}) ${problem.detail}`,
      {
        errors,
      },
    );
  }
}

/** Each write in order, each with its own result; a store that stops answering leaves the rest unwritten, and says so. */
async function oneByOne(
  store: RecordStore,
  writes: readonly BatchWrite[],
  items: readonly BatchItem[],
  links: RecordLinks | undefined,
): Promise<ItemResult[]> {
  const results: ItemResult[] = [];
  let down: ItemResult['problem'] | undefined;
  for (const [i, write] of writes.entries()) {
    const item = items[i] as BatchItem;
    if (down) {
      results.push({ op: item.op, status: 503, id: item.id, problem: down });
      continue;
    }
    try {
      const record = await writeOne(store, write);
      results.push(record ? success(item, record) : missing(item));
    } catch (error) {
      const problem = await problemOf(error, links);
      if (error instanceof StorageError && (error.kind === 'unavailable' || error.kind === 'timeout')) {
        down = {
          code: 'storage-unavailable',
          detail: 'not written: the store stopped answering during the batch; retry this operation later',
        };
      }
      const status = down ? 503 : (problem?.status ?? 500);
      results.push({ op: item.op, status, id: item.id, problem: down ?? problem ?? { code: 'internal-error', detail: 'failed' } });
    }
  }
  return results;
}

async function writeOne(store: RecordStore, write: BatchWrite): Promise<StoredRecord | undefined> {
  switch (write.op) {
    case 'create':
      return store.create(write.record);
    case 'modify':
      return store.modify(write.id, write.change);
    case 'delete': {
      let deleted: StoredRecord | undefined;
      const gone = await store.delete(write.id, (current) => {
        write.check?.(current);
        deleted = current;
      });
      return gone ? (deleted ?? ({ id: write.id } as StoredRecord)) : undefined;
    }
  }
}

function success(item: BatchItem, record: StoredRecord): ItemResult {
  if (item.op === 'delete') return { op: item.op, status: 204, id: record.id };
  return { op: item.op, status: item.op === 'create' ? 201 : 200, id: record.id, data: record };
}

function missing(item: BatchItem): ItemResult {
  return { op: item.op, status: 404, id: item.id, problem: { code: 'not-found', detail: `no record has id "${item.id}"` } };
}

/** An error as the problem a single write would have answered (renderError's mapping), or undefined for a fault of ours. */
async function problemOf(error: unknown, links?: RecordLinks): Promise<(ItemResult['problem'] & { readonly status: number }) | undefined> {
  const known = error instanceof HttpProblem || error instanceof StorageError;
  const response = renderError(error, links?.logger ?? silentLogger);
  if (!known && response.status === 500) return undefined;
  const body = (await response.json()) as { code: string; detail: string; status: number; errors?: FieldError[] };
  return { status: body.status, code: body.code, detail: body.detail, ...(body.errors ? { errors: body.errors } : {}) };
}

/** A field pointer of an operation's data (`/title`) as a pointer into the batch body. */
function itemPointer(at: string, item: BatchItem, pointer: string): string {
  if (pointer === '') return at;
  return item.op === 'delete' ? at : `${at}/data${pointer}`;
}

/** One audit entry per operation written (or failed, where each runs on its own), all naming the batch's request. */
function audit(c: Context, plan: AutomationPlan, results: readonly ItemResult[], links: RecordLinks | undefined): void {
  if (!links?.audit.enabled) return;
  const requestId = guardHeaders(c)?.['x-request-id'] ?? requestIdOf(c);
  const actor = String(c.get('actor') ?? 'anonymous');
  for (const result of results) {
    links.audit.record({
      actor,
      action: result.op,
      automation: plan.name,
      ...(result.id ? { recordId: result.id } : {}),
      requestId,
      outcome: result.status < 400 ? 'ok' : 'failed',
      status: result.status,
      detail: result.problem ? `batch: ${result.problem.code}` : 'batch',
    });
  }
}
