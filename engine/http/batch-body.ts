import { type BatchOperation, batchOperations } from '../compile/batch-operations.ts';
import type { AutomationPlan, Operation } from '../compile/plan.ts';
import { choices, type FieldError, HttpProblem } from '../errors/problem.ts';
import { grantsAll } from '../schema/scopes.ts';
import { engineFieldErrors } from './field-errors.ts';

/** One operation of a batch, as sent and checked: `data` is the record (create, replace) or the merge patch (update). */
export interface BatchItem {
  readonly op: BatchOperation;
  readonly id?: string;
  readonly data?: Record<string, unknown>;
  readonly ifMatch?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ITEM_KEYS = ['op', 'id', 'data', 'ifMatch'];

/**
 * Reads `{ operations: [...] }`: each item's shape, its operation declared, its id a UUID,
 * create and replace bodies checked against the schema now (`validated` says how; update
 * patches are checked on the record they change). Every mistake is collected, each at
 * `/operations/N/...`, so one retry can fix them all; nothing has been written.
 */
export function parseBatch(
  plan: AutomationPlan,
  body: Record<string, unknown>,
  validated: (data: Record<string, unknown>) => FieldError[],
): BatchItem[] {
  const allowed = batchOperations(plan);
  const max = plan.pagination.maxBatch;
  const errors: FieldError[] = Object.keys(body)
    .filter((key) => key !== 'operations')
    .map((key) => ({ pointer: `/${key}`, message: 'a batch body holds only `operations`; remove it' }));
  const list = body.operations;
  if (!Array.isArray(list) || list.length === 0 || list.length > max) {
    const message = Array.isArray(list)
      ? `must hold 1 to ${max} operations, not ${list.length}; split the work into several batches`
      : 'is required: a list of { op, id, data } operations';
    throw invalid([...errors, { pointer: '/operations', message }]);
  }
  const items = list.map((raw, i): BatchItem | undefined => {
    const at = `/operations/${i}`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      errors.push({ pointer: at, message: 'must be an object { op, id, data }' });
      return undefined;
    }
    const item = raw as Record<string, unknown>;
    for (const key of Object.keys(item)) {
      if (!ITEM_KEYS.includes(key))
        errors.push({ pointer: `${at}/${key}`, message: `not an operation key; use ${ITEM_KEYS.join(', ')}`, ...choices(key, ITEM_KEYS) });
    }
    const op = item.op;
    if (typeof op !== 'string' || !(allowed as string[]).includes(op)) {
      const message = `must be one of ${allowed.join(', ')} (the writes ${plan.basePath} offers)`;
      errors.push({ pointer: `${at}/op`, message, ...choices(String(op ?? ''), allowed) });
      return undefined;
    }
    const needsId = op !== 'create';
    if (needsId && (typeof item.id !== 'string' || !UUID.test(item.id))) {
      errors.push({ pointer: `${at}/id`, message: `${op} needs the id of an existing record (a UUID)` });
    }
    if (!needsId && item.id !== undefined) {
      errors.push({ pointer: `${at}/id`, message: 'create makes its own id; remove it' });
    }
    if (item.ifMatch !== undefined && (typeof item.ifMatch !== 'string' || !needsId)) {
      errors.push({ pointer: `${at}/ifMatch`, message: 'an ETag string, on update, replace or delete only' });
    }
    const data = item.data;
    if (op === 'delete') {
      if (data !== undefined) errors.push({ pointer: `${at}/data`, message: 'delete takes no data; remove it' });
    } else if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      errors.push({ pointer: `${at}/data`, message: op === 'update' ? 'the fields to change, as an object' : 'the record, as an object' });
    } else {
      const record = data as Record<string, unknown>;
      const found = op === 'update' ? engineFieldErrors(record) : validated(record);
      errors.push(...found.map((e) => ({ ...e, pointer: `${at}/data${e.pointer}` })));
    }
    return {
      op: op as BatchOperation,
      ...(typeof item.id === 'string' ? { id: item.id.toLowerCase() } : {}),
      ...(typeof data === 'object' && data !== null ? { data: data as Record<string, unknown> } : {}),
      ...(typeof item.ifMatch === 'string' ? { ifMatch: item.ifMatch } : {}),
    };
  });
  if (errors.length) throw invalid(errors);
  return items as BatchItem[];
}

/**
 * The caller may run every operation the batch carries: each needs its own endpoint's
 * scopes (a public endpoint none). 401 without a key, 403 naming the scope missing.
 */
export function checkBatchAccess(plan: AutomationPlan, items: readonly BatchItem[], granted: readonly string[] | undefined): void {
  for (const op of new Set(items.map((item) => item.op))) {
    const endpoint = plan.endpoints.find((e) => e.operation === (op as Operation));
    if (!endpoint || endpoint.access.public || (granted && grantsAll(granted, endpoint.access.scopes))) continue;
    const scopes = endpoint.access.scopes.join(', ');
    throw new HttpProblem(
      granted ? 'forbidden' : 'unauthorized',
      granted
        ? `the batch has ${op} operations: this API key lacks the scope ${scopes}; remove them, or ask an administrator for a key that has it`
        : `the batch has ${op} operations, which need an API key with ${scopes}; send one`,
    );
  }
}

function invalid(errors: readonly FieldError[]): HttpProblem {
  const detail = errors.map((e) => `${e.pointer} ${e.message}`).join('; ');
  return new HttpProblem('validation-failed', `the batch was not run, nothing was written; fix and retry: ${detail}`, { errors });
}
