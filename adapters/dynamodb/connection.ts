import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { sortKinds } from '../sort-encoding.ts';
import {
  type ConnectContext,
  type ConnectionSettings,
  type RecordStore,
  type StorageConnection,
  StorageError,
  type StoragePlan,
  type StorageSpec,
  type StoredRecord,
} from '../types.ts';
import { DynamoRecordStore, type Send, sameVersion } from './adapter.ts';
import { checkedPatterns, indexKeys, LAYOUT_ID, layoutOf, tableDefinition, tableName, tablePrefix } from './layout.ts';

/** An unreachable host (no refusal, just silence) becomes `unavailable` after this long. */
const REQUEST_TIMEOUT_MS = 30_000;
/** How long a new table may take to become ACTIVE (seconds on AWS, at once on local servers). */
const TABLE_WAIT_SECONDS = 300;

// theCouncil runs on Node 20; the SDK's notice about its future releases needing Node 22
// concerns versions the lockfile does not install, and would print on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * Connects to the DynamoDB endpoint `settings.url`: `https://dynamodb.<region>.amazonaws.com`
 * for AWS (credentials from the usual AWS chain: environment, profile, instance role), or
 * a DynamoDB-compatible server such as DynamoDB Local or dynalite, which accept any key:
 * such a server gets the fixed key `local` when the environment has none. A path on the
 * URL (`.../shop`) prefixes the table names instead of `council`. Messages never include
 * the URL.
 */
export async function connectDynamo(settings: ConnectionSettings, context?: ConnectContext): Promise<StorageConnection> {
  const label = `dynamodb connection "${settings.name}"`;
  if (!settings.url) throw new StorageError('unavailable', `${label} has no url`);
  let endpoint: URL;
  try {
    endpoint = new URL(settings.url);
  } catch {
    // No cause: a URL parse error carries the URL itself.
    throw new StorageError('unavailable', `${label} has a url that is not a URL`);
  }
  const prefix = tablePrefix(endpoint);
  if (prefix === undefined)
    throw new StorageError('unavailable', `${label} has a url whose path is not a table name prefix (letters, digits, _ . -)`);
  const aws = /^dynamodb(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com$/.exec(endpoint.hostname);
  const region = aws?.[1] ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const local = !aws && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE;
  const requestMs = context?.statementTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const client = new DynamoDBClient({
    endpoint: endpoint.origin,
    region,
    ...(local ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    // The SDK retries throttling and lost connections (3 attempts); a conditional write
    // whose first attempt had landed recognises itself on the retry (adapter.ts #landed).
    maxAttempts: 3,
    requestHandler: { requestTimeout: requestMs, connectionTimeout: 5_000 },
  });
  const connection = new DynamoConnection(client, label, prefix, requestMs);
  try {
    await connection.ping();
  } catch (error) {
    client.destroy();
    throw new StorageError('unavailable', `${label} could not connect (${failureCode(error)})`, { cause: error });
  }
  return connection;
}

class DynamoConnection implements StorageConnection {
  readonly backend = 'dynamodb';
  readonly #client: DynamoDBClient;
  readonly #db: DynamoDBDocumentClient;
  readonly #label: string;
  readonly #prefix: string;
  /** The longest one request may take: also how long unprocessed reads are retried. */
  readonly #requestMs: number;

  constructor(client: DynamoDBClient, label: string, prefix: string, requestMs: number) {
    this.#client = client;
    this.#db = DynamoDBDocumentClient.from(client);
    this.#label = label;
    this.#prefix = prefix;
    this.#requestMs = requestMs;
  }

  async open(spec: StorageSpec): Promise<RecordStore> {
    const patterns = checkedPatterns(spec);
    const table = tableName(spec, this.#prefix);
    const kinds = sortKinds(spec);
    const state = await this.#state(spec);
    if (!state.exists) {
      // Another server opening the same automation may create it first: then wait for theirs.
      await this.#send(() =>
        this.#client.send(new CreateTableCommand(tableDefinition(table))).catch((error: Error) => {
          if (error.name !== 'ResourceInUseException') throw error;
        }),
      );
      await this.#send(() =>
        waitUntilTableExists({ client: this.#client, minDelay: 1, maxDelay: 5, maxWaitTime: TABLE_WAIT_SECONDS }, { TableName: table }),
      );
    }
    if (spec.ttlSeconds && !state.ttl) await this.#enableTtl(table);
    const layout = layoutOf(spec);
    if (state.layout !== layout) {
      await this.#reindex(table, (record) => indexKeys(patterns, kinds, record));
      await this.#send(() => this.#db.send(new PutCommand({ TableName: table, Item: { id: LAYOUT_ID, layout } })));
    }
    return new DynamoRecordStore({ db: this.#db, send: this.#send, retryForMs: this.#requestMs }, table, spec, patterns, kinds);
  }

  async plan(spec: StorageSpec): Promise<StoragePlan> {
    const table = tableName(spec, this.#prefix);
    const refused: { field: string; message: string }[] = [];
    try {
      checkedPatterns(spec);
    } catch (error) {
      refused.push({ field: 'filters', message: (error as Error).message });
    }
    const state = await this.#state(spec);
    const steps: { statement: string; why: string }[] = [];
    if (!state.exists) {
      steps.push({ statement: `CreateTable ${table} (PAY_PER_REQUEST, 20 KEYS_ONLY global secondary indexes)`, why: 'new automation' });
    }
    if (spec.ttlSeconds && !state.ttl) steps.push({ statement: `UpdateTimeToLive ${table} on "ttl"`, why: 'storage.ttl is set' });
    if (state.exists && state.layout !== layoutOf(spec)) {
      steps.push({ statement: `rewrite the index keys of every item of ${table}`, why: 'the list filters or sorts changed' });
    }
    return { target: `dynamodb table ${table}`, steps, refused };
  }

  async ping(): Promise<void> {
    await this.#send(() => this.#client.send(new ListTablesCommand({ Limit: 1 })));
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  /** Whether the table exists, has TTL on, and which index layout its items carry. */
  async #state(spec: StorageSpec): Promise<{ exists: boolean; ttl: boolean; layout: string | undefined }> {
    const table = tableName(spec, this.#prefix);
    try {
      await this.#client.send(new DescribeTableCommand({ TableName: table }));
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return { exists: false, ttl: false, layout: undefined };
      throw this.#wrapped(error);
    }
    const ttl = await this.#send(() => this.#client.send(new DescribeTimeToLiveCommand({ TableName: table })));
    const meta = await this.#send(() => this.#db.send(new GetCommand({ TableName: table, Key: { id: LAYOUT_ID }, ConsistentRead: true })));
    const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
    return { exists: true, ttl: status === 'ENABLED' || status === 'ENABLING', layout: meta.Item?.layout as string | undefined };
  }

  /**
   * Turns on DynamoDB's TTL sweep by the `ttl` attribute. Servers without the operation
   * (dynalite) keep expired items until they are overwritten; reads hide them either way.
   */
  async #enableTtl(table: string): Promise<void> {
    const request = new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { Enabled: true, AttributeName: 'ttl' } });
    try {
      await this.#client.send(request);
    } catch (error) {
      if (!/UnknownOperation|NotImplemented/i.test(String((error as Error).name))) throw this.#wrapped(error);
    }
  }

  /** Rewrites every record's index keys, each only if no writer changed it meanwhile. */
  async #reindex(table: string, keysOf: (record: StoredRecord) => Record<string, string>): Promise<void> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#send(() =>
        this.#db.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start })),
      );
      for (const item of page.Items ?? []) {
        if (typeof item.doc !== 'string') continue;
        const kept = Object.fromEntries(Object.entries(item).filter(([name]) => !/^g\d\d[ps]$/.test(name)));
        const next = { ...kept, ...keysOf(JSON.parse(item.doc) as StoredRecord) };
        await this.#send(() =>
          this.#db
            .send(new PutCommand({ TableName: table, Item: next, ...sameVersion(item) }))
            // A writer got there first, and wrote the keys of its own spec.
            .catch((error: Error) => {
              if (error.name !== 'ConditionalCheckFailedException') throw error;
            }),
        );
      }
      start = page.LastEvaluatedKey;
    } while (start);
  }

  /** Runs one request; driver errors become StorageErrors (conditional failures keep theirs as the cause). */
  readonly #send: Send = async (request) => {
    try {
      return await request();
    } catch (error) {
      throw this.#wrapped(error);
    }
  };

  #wrapped(error: unknown): StorageError {
    if (error instanceof StorageError) return error;
    const name = String((error as Error)?.name ?? '');
    if (name === 'ValidationException' && /item size/i.test((error as Error).message)) {
      return new StorageError('too-large', 'the record is larger than a DynamoDB item can be (400 KB)', { cause: error });
    }
    if (name === 'ValidationException') {
      return new StorageError('rejected', `${this.#label} refused the request: ${(error as Error).message}`, { cause: error });
    }
    if (/Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|ResourceNotFound|Timeout|Abort/i.test(name) || isNetwork(error)) {
      return new StorageError('unavailable', `${this.#label} is unavailable (${failureCode(error)})`, { cause: error });
    }
    return new StorageError('failed', `${this.#label} failed: ${name}`, { cause: error });
  }
}

function isNetwork(error: unknown): boolean {
  const code = (error as { code?: string })?.code ?? '';
  return /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH)$/.test(code);
}

function failureCode(error: unknown): string {
  const cause = error instanceof StorageError ? error.cause : error;
  const e = cause as { code?: string; name?: string };
  return e?.code ?? e?.name ?? 'error';
}
