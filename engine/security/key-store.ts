import { everyRecord, oldestRecord } from '../../adapters/every-record.ts';
import type { RecordStore, StorageConnection, StorageSpec, StoredRecord } from '../../adapters/types.ts';
import { generateKey } from './api-key.ts';

/** One API key as stored: never the key itself, only its hash and what lists show. */
export interface KeyRecord extends StoredRecord {
  readonly name: string;
  readonly hash: string;
  /** `ck_AbCd…wxyz`: enough to recognise a key, not to use it. */
  readonly display: string;
  readonly scopes: readonly string[];
  /** What the key is for and who holds it, in a sentence (the console asks for one). */
  readonly note?: string;
  readonly expiresAt?: string;
  readonly revokedAt?: string;
  readonly lastUsedAt?: string;
}

/** The longest note a key takes: a sentence or two, not a document. */
export const KEY_NOTE_MAX = 500;

/** The connection that holds the system store (API keys; later the audit log). */
export const SYSTEM_CONNECTION = 'postgres';

/**
 * Keys live in the system store: a collection on the `postgres` connection (embedded
 * PGlite, or the server when DATABASE_URL is set). Its name starts with an underscore,
 * which no automation's can, so it never collides with one.
 */
export const KEYS_SPEC: StorageSpec = {
  automation: '_council-api-keys',
  collection: '_council_api_keys',
  fields: [
    { name: 'name', kind: 'string' },
    { name: 'hash', kind: 'string' },
    { name: 'display', kind: 'string' },
    { name: 'scopes', kind: 'json' },
    { name: 'expiresAt', kind: 'string' },
    { name: 'note', kind: 'string' },
    { name: 'revokedAt', kind: 'string' },
    { name: 'lastUsedAt', kind: 'string' },
  ],
  filterable: ['hash'],
  sortable: ['createdAt'],
  unique: ['hash'],
};

/** Creates, finds, lists and revokes API keys. */
export class KeyStore {
  readonly #records: RecordStore;

  constructor(records: RecordStore) {
    this.#records = records;
  }

  static async open(connection: StorageConnection): Promise<KeyStore> {
    return new KeyStore(await connection.open(KEYS_SPEC));
  }

  /** Stores a new key; the returned `secret` is the only time the key exists in clear. */
  async create(options: {
    name: string;
    scopes: readonly string[];
    expiresAt?: string;
    note?: string;
  }): Promise<{ secret: string; key: KeyRecord }> {
    const { secret, hash, display } = generateKey();
    const now = new Date().toISOString();
    const key: KeyRecord = {
      id: crypto.randomUUID(),
      createdAt: now,
      updatedAt: now,
      name: options.name,
      hash,
      display,
      scopes: [...options.scopes],
      ...(options.expiresAt ? { expiresAt: options.expiresAt } : {}),
      ...(options.note ? { note: options.note } : {}),
    };
    await this.#records.create(key);
    return { secret, key };
  }

  async findByHash(hash: string): Promise<KeyRecord | undefined> {
    return (await oldestRecord(this.#records, [{ field: 'hash', op: 'eq', value: hash }])) as KeyRecord | undefined;
  }

  async get(id: string): Promise<KeyRecord | undefined> {
    return (await this.#records.get(id)) as KeyRecord | undefined;
  }

  /** Every key, oldest first. */
  async list(): Promise<KeyRecord[]> {
    const keys: KeyRecord[] = [];
    for await (const key of everyRecord(this.#records, [], 'createdAt', 100)) keys.push(key as KeyRecord);
    return keys;
  }

  async isEmpty(): Promise<boolean> {
    return (await oldestRecord(this.#records, [])) === undefined;
  }

  /** Revokes the key with this id or display text (`ck_AbCd…wxyz`); resolves the key, or undefined if none matches. */
  async revoke(which: string): Promise<KeyRecord | undefined> {
    const key = (await this.list()).find((k) => k.id === which || k.display === which);
    if (!key) return undefined;
    const now = new Date().toISOString();
    return (await this.#records.modify(key.id, (current) => ({ ...current, revokedAt: current.revokedAt ?? now, updatedAt: now }))) as
      | KeyRecord
      | undefined;
  }

  /** Notes when keys were last used (for `keys list`), by key id; one statement where the store can. */
  async touch(uses: ReadonlyMap<string, string>): Promise<void> {
    if (this.#records.setMany) return this.#records.setMany('lastUsedAt', uses);
    for (const [id, at] of uses) await this.#records.modify(id, (current) => ({ ...current, lastUsedAt: at }));
  }
}
