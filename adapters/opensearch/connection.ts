import { Client, errors } from '@opensearch-project/opensearch';
import {
  answeredError,
  errorType,
  type IndexPlan,
  type IndexStep,
  indexName,
  type LiveMapping,
  planIndex,
  refusalOf,
  socketCode,
  storagePlan,
} from '../search-dsl/index.ts';
import {
  type ConnectContext,
  type ConnectionSettings,
  type RecordStore,
  type StorageConnection,
  StorageError,
  type StoragePlan,
  type StorageSpec,
} from '../types.ts';
import { openSearchRecordStore, type Run } from './adapter.ts';
import { OPENSEARCH } from './dialect.ts';

/** The start-up ping fails fast, so a server that is down is reported, not waited for. */
const PING_TIMEOUT_MS = 5_000;
/** An unreachable host (no refusal, just silence) becomes `unavailable` after this long. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Rewriting every record after a mapping change takes as long as the index is large. */
const REINDEX_TIMEOUT_MS = 30 * 60_000;

/**
 * Connects with the opensearch-js client to `settings.url`, which may carry credentials
 * (`https://user:password@host:9200`). Messages never include the URL or the password.
 */
export async function connectOpenSearch(settings: ConnectionSettings, context?: ConnectContext): Promise<StorageConnection> {
  const label = `opensearch connection "${settings.name}"`;
  if (!settings.url) throw new StorageError('unavailable', `${label} has no url`);
  let client: Client;
  try {
    client = new Client({
      node: settings.url,
      requestTimeout: context?.statementTimeoutMs ?? REQUEST_TIMEOUT_MS,
      // A retried write may already have been applied (a create would then report a
      // duplicate, a modify apply twice), so failures go to the caller as they are.
      maxRetries: 0,
      // One node: the pool uses it even while it is marked dead, so requests reach the
      // server as soon as it is back, without waiting for a resurrection ping.
      resurrectStrategy: 'none',
      // Records are parsed with plain JSON.parse semantics, as the other backends do, so
      // a `__proto__` key a record was allowed to hold still reads back (as an own key).
      disablePrototypePoisoningProtection: true,
    });
  } catch {
    // No cause: a URL parse error carries the URL itself.
    throw new StorageError('unavailable', `${label} has a url the OpenSearch client cannot parse`);
  }
  const connection = new OpenSearchConnection(client, label);
  try {
    await connection.ping();
  } catch (error) {
    await client.close().catch(() => {});
    throw new StorageError('unavailable', `${label} could not connect (${failureCode(error)})`, { cause: error });
  }
  return connection;
}

class OpenSearchConnection implements StorageConnection {
  readonly backend = 'opensearch';
  readonly #client: Client;
  readonly #label: string;
  #closing: Promise<void> | undefined;

  constructor(client: Client, label: string) {
    this.#client = client;
    this.#label = label;
  }

  /** Creates the index or brings its mapping to the spec; refuses a change of a field's type. */
  async open(spec: StorageSpec): Promise<RecordStore> {
    for (let attempt = 0; ; attempt++) {
      const plan = await this.#plan(spec);
      const refusal = refusalOf(plan);
      if (refusal) throw refusal;
      try {
        for (const step of plan.steps) await this.#apply(plan.index, step);
        return openSearchRecordStore(spec, plan.index, this.#run);
      } catch (error) {
        // Another process created the index between the plan and the create: plan again.
        if (attempt > 0 || errorType(error) !== 'resource_already_exists_exception') throw error;
      }
    }
  }

  async plan(spec: StorageSpec): Promise<StoragePlan> {
    return storagePlan(await this.#plan(spec));
  }

  async ping(): Promise<void> {
    const { body } = await this.#run((c) => c.ping({}, { requestTimeout: PING_TIMEOUT_MS }));
    // HEAD / answers 404 (body false) where something else than OpenSearch listens.
    if (body !== true) throw new StorageError('unavailable', `${this.#label} is unavailable (no OpenSearch at the url's root)`);
  }

  close(): Promise<void> {
    this.#closing ??= this.#client.close();
    return this.#closing;
  }

  async #plan(spec: StorageSpec): Promise<IndexPlan> {
    const index = indexName(spec.collection, OPENSEARCH);
    const { statusCode, body } = await this.#run((c) => c.indices.getMapping({ index }, { ignore: [404] }));
    // Keyed by the concrete index name, which differs when `index` is an alias.
    const live = statusCode === 404 ? undefined : ((Object.values(body)[0]?.mappings ?? {}) as LiveMapping);
    return planIndex(spec, live, OPENSEARCH);
  }

  async #apply(index: string, step: IndexStep): Promise<void> {
    switch (step.action) {
      case 'create':
        await this.#run((c) => c.indices.create({ index, body: step.body }));
        return;
      case 'putMapping':
        await this.#run((c) => c.indices.putMapping({ index, body: step.body }));
        return;
      case 'reindexInPlace': {
        const { body } = await this.#run((c) =>
          c.updateByQuery(
            { index, conflicts: 'proceed', refresh: true, wait_for_completion: true },
            { requestTimeout: REINDEX_TIMEOUT_MS },
          ),
        );
        const failures = (body as { failures?: unknown[] }).failures ?? [];
        if (failures.length > 0)
          throw new StorageError('failed', `${this.#label} could not index ${failures.length} records of ${index} under the new mapping`);
      }
    }
  }

  readonly #run: Run = async (request) => {
    try {
      return await request(this.#client);
    } catch (error) {
      throw storageError(error, this.#label);
    }
  };
}

/**
 * Client errors as StorageErrors: unreachable, overloaded or refusing our credentials is
 * `unavailable`; a request OpenSearch refused (400) `rejected`; anything else `failed`.
 */
function storageError(error: unknown, label: string): StorageError {
  if (error instanceof StorageError) return error;
  if (isUnreachable(error)) return new StorageError('unavailable', `${label} is unavailable (${failureCode(error)})`, { cause: error });
  if (error instanceof errors.ResponseError) return answeredError(error.statusCode, error.body, label, error);
  return new StorageError('failed', `${label} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

function isUnreachable(error: unknown): error is Error {
  return (
    error instanceof errors.ConnectionError || error instanceof errors.TimeoutError || error instanceof errors.NoLivingConnectionsError
  );
}

/** Why a request failed, in a few words that never include the URL (a socket error's message names the host). */
function failureCode(error: unknown): string {
  if (error instanceof StorageError) return error.cause ? failureCode(error.cause) : 'no OpenSearch at the url';
  if (error instanceof errors.ResponseError) return `HTTP ${error.statusCode}`;
  if (isUnreachable(error)) return socketCode(error);
  return (error as Error)?.name ?? 'error';
}
