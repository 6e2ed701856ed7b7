import { Client, errors, type estypes } from '@elastic/elasticsearch';
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
import { elasticsearchRecordStore, type Run } from './adapter.ts';
import { ELASTICSEARCH } from './dialect.ts';
import { clientTarget } from './url.ts';

/** The start-up ping fails fast, so a server that is down is reported, not waited for. */
const PING_TIMEOUT_MS = 5_000;
/** An unreachable host (no refusal, just silence) becomes `unavailable` after this long. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Rewriting every record after a mapping change takes as long as the index is large. */
const REINDEX_TIMEOUT_MS = 30 * 60_000;

/**
 * Connects with the Elasticsearch 8 client to `settings.url`, which may carry credentials:
 * `https://user:password@host:9200` (basic auth) or `https://host:9200?apiKey=KEY` (see
 * {@link clientTarget}). Messages never include the URL, the password or the key.
 */
export async function connectElasticsearch(settings: ConnectionSettings, context?: ConnectContext): Promise<StorageConnection> {
  const label = `elasticsearch connection "${settings.name}"`;
  if (!settings.url) throw new StorageError('unavailable', `${label} has no url`);
  const target = clientTarget(settings.url);
  if ('problem' in target) throw new StorageError('unavailable', `${label} ${target.problem}`);
  let client: Client;
  try {
    client = new Client({
      node: target.node,
      ...(target.auth ? { auth: target.auth } : {}),
      // Every request of a record store has this deadline; a schema change passes its own.
      requestTimeout: context?.statementTimeoutMs ?? REQUEST_TIMEOUT_MS,
      // A retried write may already have been applied (a create would then report a
      // duplicate, a modify apply twice), so failures go to the caller as they are. With
      // one node the pool keeps using it while it is down, so requests reach the server
      // as soon as it is back.
      maxRetries: 0,
      // Records are parsed with plain JSON.parse semantics, as the other backends do, so
      // a `__proto__` key a record was allowed to hold still reads back (as an own key).
      disablePrototypePoisoningProtection: true,
    });
  } catch {
    // No cause: a configuration error may quote the URL.
    throw new StorageError('unavailable', `${label} has a url the Elasticsearch client cannot use`);
  }
  const connection = new ElasticsearchConnection(client, label);
  try {
    await connection.ping();
  } catch (error) {
    await client.close().catch(() => {});
    throw new StorageError('unavailable', `${label} could not connect (${failureCode(error)})`, { cause: error });
  }
  return connection;
}

class ElasticsearchConnection implements StorageConnection {
  readonly backend = 'elasticsearch';
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
        return elasticsearchRecordStore(spec, plan.index, this.#run);
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
    const answered = await this.#run((c) => c.ping({}, { requestTimeout: PING_TIMEOUT_MS }));
    // HEAD / answers 404 (false) where something else than Elasticsearch listens.
    if (answered !== true) throw new StorageError('unavailable', `${this.#label} is unavailable (no Elasticsearch at the url's root)`);
  }

  close(): Promise<void> {
    this.#closing ??= this.#client.close();
    return this.#closing;
  }

  async #plan(spec: StorageSpec): Promise<IndexPlan> {
    const index = indexName(spec.collection, ELASTICSEARCH);
    const { statusCode, body } = await this.#run((c) => c.indices.getMapping({ index }, { ignore: [404], meta: true }));
    // Keyed by the concrete index name, which differs when `index` is an alias.
    const live = statusCode === 404 ? undefined : ((Object.values(body)[0]?.mappings ?? {}) as LiveMapping);
    return planIndex(spec, live, ELASTICSEARCH);
  }

  async #apply(index: string, step: IndexStep): Promise<void> {
    switch (step.action) {
      case 'create':
        await this.#run((c) => c.indices.create({ index, ...(step.body as Omit<estypes.IndicesCreateRequest, 'index'>) }));
        return;
      case 'putMapping':
        await this.#run((c) => c.indices.putMapping({ index, ...(step.body as Omit<estypes.IndicesPutMappingRequest, 'index'>) }));
        return;
      case 'reindexInPlace': {
        const answer = await this.#run((c) =>
          c.updateByQuery(
            { index, conflicts: 'proceed', refresh: true, wait_for_completion: true },
            { requestTimeout: REINDEX_TIMEOUT_MS },
          ),
        );
        const failures = answer.failures ?? [];
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
 * Client errors as StorageErrors: unreachable, past its deadline, overloaded, refusing our
 * credentials or not Elasticsearch is `unavailable`; a request Elasticsearch refused (400)
 * `rejected`; anything else `failed`.
 */
function storageError(error: unknown, label: string): StorageError {
  if (error instanceof StorageError) return error;
  if (isUnreachable(error)) return new StorageError('unavailable', `${label} is unavailable (${failureCode(error)})`, { cause: error });
  if (error instanceof errors.ResponseError) return answeredError(error.statusCode ?? 0, error.body, label, error);
  // The client's own errors may quote what it sent; its name says enough.
  const what = error instanceof errors.ElasticsearchClientError ? error.name : ((error as Error)?.message ?? String(error));
  return new StorageError('failed', `${label} failed: ${what}`, { cause: error });
}

/**
 * A deadline that passed counts as the store being unreachable (as for OpenSearch), not as
 * a `timeout`: that kind promises nothing was changed, and a write the client stopped
 * waiting for may still be applied.
 */
function isUnreachable(error: unknown): error is Error {
  return (
    error instanceof errors.ConnectionError ||
    error instanceof errors.TimeoutError ||
    error instanceof errors.NoLivingConnectionsError ||
    error instanceof errors.ProductNotSupportedError
  );
}

/** Why a request failed, in a few words that never include the URL (a socket error's message names the host). */
function failureCode(error: unknown): string {
  if (error instanceof StorageError) return error.cause ? failureCode(error.cause) : 'no Elasticsearch at the url';
  if (error instanceof errors.ResponseError) return `HTTP ${error.statusCode}`;
  if (error instanceof errors.ProductNotSupportedError) return 'no Elasticsearch at the url';
  if (isUnreachable(error)) return socketCode(error);
  return (error as Error)?.name ?? 'error';
}
