import { type Db, MongoClient, MongoServerError } from 'mongodb';
import {
  type ConnectionSettings,
  type RecordStore,
  type StorageConnection,
  StorageError,
  type StoragePlan,
  type StorageSpec,
} from '../types.ts';
import { type Guard, MongoRecordStore } from './adapter.ts';
import { codeOf, storageErrorFrom } from './errors.ts';
import { INDEX_CONFLICT_CODES, schemaSteps } from './schema.ts';

/** The database when the URL names none (`mongodb://host:27017`). */
export const DEFAULT_DATABASE = 'council';

/**
 * How long a request waits for a reachable server before it fails as `unavailable`. The
 * driver keeps monitoring the server, so requests succeed again once it is back.
 */
const SERVER_SELECTION_MS = 3000;

/** Connects with the official driver and pings, so a store that is down fails start-up at once. */
export async function connectMongo(settings: ConnectionSettings): Promise<StorageConnection> {
  const label = `mongodb connection "${settings.name}"`;
  if (!settings.url) throw new StorageError('unavailable', `${label} has no url`);
  let client: MongoClient;
  let db: Db;
  try {
    client = new MongoClient(settings.url, {
      serverSelectionTimeoutMS: SERVER_SELECTION_MS,
      // A property set to undefined is left out, as absent properties are.
      ignoreUndefined: true,
      appName: 'theCouncil',
      ...(settings.pool?.max ? { maxPoolSize: settings.pool.max } : {}),
      ...(settings.pool?.idleTimeoutSeconds ? { maxIdleTimeMS: settings.pool.idleTimeoutSeconds * 1000 } : {}),
    });
    db = client.db(databaseName(settings.url));
  } catch {
    // No cause: a parse error may quote the URL.
    throw new StorageError('unavailable', `${label} has a url the mongodb driver cannot parse`);
  }
  try {
    await client.connect();
    await db.command({ ping: 1 });
  } catch (error) {
    await client.close().catch(() => {});
    throw new StorageError('unavailable', `${label} could not connect (${codeOf(error)})`, { cause: error });
  }
  return new MongoConnection(client, db, label);
}

/** The database a URL names in its path, or {@link DEFAULT_DATABASE}. */
export function databaseName(url: string): string {
  const path = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\/([^?#]*)/i.exec(url)?.[1];
  return path ? decodeURIComponent(path) : DEFAULT_DATABASE;
}

class MongoConnection implements StorageConnection {
  readonly backend = 'mongodb';
  readonly #client: MongoClient;
  readonly #db: Db;
  readonly #guard: Guard;
  #closing: Promise<void> | undefined;

  constructor(client: MongoClient, db: Db, label: string) {
    this.#client = client;
    this.#db = db;
    this.#guard = async (operation) => {
      try {
        return await operation();
      } catch (error) {
        throw storageErrorFrom(error, label);
      }
    };
  }

  async open(spec: StorageSpec): Promise<RecordStore> {
    for (const step of await this.#guard(() => schemaSteps(this.#db, spec))) {
      await this.#guard(step.run).catch((error: StorageError) => {
        // A unique index over values records already share, or an index someone else made.
        if (error.kind !== 'conflict' && !(error.cause instanceof MongoServerError && INDEX_CONFLICT_CODES.has(Number(error.cause.code))))
          throw error;
        throw new StorageError('rejected', `"${spec.collection}" cannot ${step.why}: ${error.message}`, {
          cause: error,
          ...(error.field ? { field: error.field } : {}),
        });
      });
    }
    return new MongoRecordStore(this.#db.collection(spec.collection), spec, this.#guard);
  }

  async plan(spec: StorageSpec): Promise<StoragePlan> {
    const steps = await this.#guard(() => schemaSteps(this.#db, spec));
    return {
      target: `collection ${this.#db.databaseName}.${spec.collection}`,
      steps: steps.map(({ statement, why }) => ({ statement, why })),
      refused: [],
    };
  }

  async ping(): Promise<void> {
    await this.#guard(() => this.#db.command({ ping: 1 }));
  }

  close(): Promise<void> {
    this.#closing ??= this.#client.close();
    return this.#closing;
  }
}
