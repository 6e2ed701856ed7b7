import { everyRecord, oldestRecord } from '../../adapters/every-record.ts';
import { type RecordStore, type StorageConnection, StorageError, type StorageSpec, type StoredRecord } from '../../adapters/types.ts';
import { type NewUser, normalizeEmail, type Role } from './console-user.ts';
import { hashPassword, oneTimePassword, verifyPassword } from './password.ts';

/** A console user as lists and the admin API show it: everything stored but the hash. */
export interface ShownUser extends StoredRecord {
  /** Lower case (console-user.ts `normalizeEmail`); unique. */
  readonly email: string;
  readonly role: Role;
  /** For an editor: the automations it may edit; absent: all of them. */
  readonly automations?: readonly string[];
  readonly passwordSetAt: string;
  /** True while the password is a one-time one the CLI printed: the console asks for a new one first. */
  readonly mustChangePassword: boolean;
  readonly disabledAt?: string;
  readonly lastLoginAt?: string;
}

/** One console user as stored: never the password, only its scrypt hash (password.ts). */
export interface UserRecord extends ShownUser {
  readonly passwordHash: string;
}

/**
 * Console users live in the system store beside the API keys (key-store.ts), in a
 * collection whose leading underscore no automation's name can have.
 */
export const USERS_SPEC: StorageSpec = {
  automation: '_council-console-users',
  collection: '_council_console_users',
  fields: [
    { name: 'email', kind: 'string' },
    { name: 'role', kind: 'string' },
    { name: 'automations', kind: 'json' },
    { name: 'passwordHash', kind: 'string' },
    { name: 'passwordSetAt', kind: 'string' },
    { name: 'mustChangePassword', kind: 'boolean' },
    { name: 'disabledAt', kind: 'string' },
    { name: 'lastLoginAt', kind: 'string' },
  ],
  filterable: ['email'],
  sortable: ['createdAt'],
  unique: ['email'],
};

/** `create` of an email a user already has (the store's unique index said so). */
export class DuplicateEmailError extends Error {
  constructor(readonly email: string) {
    super(`a user with the email ${email} already exists`);
  }
}

/** Creates, finds, lists and disables console users, and sets and checks their passwords. */
export class UserStore {
  readonly #records: RecordStore;

  constructor(records: RecordStore) {
    this.#records = records;
  }

  static async open(connection: StorageConnection): Promise<UserStore> {
    return new UserStore(await connection.open(USERS_SPEC));
  }

  /**
   * Stores a new user with a one-time password; the returned `password` is the only time it
   * exists in clear. Rejects with {@link DuplicateEmailError} when the email is taken.
   */
  async create(request: NewUser): Promise<{ password: string; user: UserRecord }> {
    const password = oneTimePassword();
    const now = new Date().toISOString();
    const user: UserRecord = {
      id: crypto.randomUUID(),
      createdAt: now,
      updatedAt: now,
      email: normalizeEmail(request.email),
      role: request.role,
      ...(request.automations ? { automations: [...request.automations] } : {}),
      passwordHash: await hashPassword(password),
      passwordSetAt: now,
      mustChangePassword: true,
    };
    try {
      await this.#records.create(user);
    } catch (error) {
      if (error instanceof StorageError && error.kind === 'conflict') throw new DuplicateEmailError(user.email);
      throw error;
    }
    return { password, user };
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    return (await oldestRecord(this.#records, [{ field: 'email', op: 'eq', value: normalizeEmail(email) }])) as UserRecord | undefined;
  }

  async get(id: string): Promise<UserRecord | undefined> {
    return (await this.#records.get(id)) as UserRecord | undefined;
  }

  /** Every user, oldest first. */
  async list(): Promise<UserRecord[]> {
    const users: UserRecord[] = [];
    for await (const user of everyRecord(this.#records, [], 'createdAt', 100)) users.push(user as UserRecord);
    return users;
  }

  /** Disables the user with this email (kept, so the audit log's entries still name someone); undefined if none has it. */
  async disable(email: string): Promise<UserRecord | undefined> {
    const user = await this.findByEmail(email);
    if (!user) return undefined;
    const now = new Date().toISOString();
    return (await this.#records.modify(user.id, (current) => ({ ...current, disabledAt: current.disabledAt ?? now, updatedAt: now }))) as
      | UserRecord
      | undefined;
  }

  /** Gives the user a new one-time password, returned once; a disabled user stays disabled. Undefined if no user has the email. */
  async resetPassword(email: string): Promise<{ password: string; user: UserRecord } | undefined> {
    const user = await this.findByEmail(email);
    if (!user) return undefined;
    const password = oneTimePassword();
    const passwordHash = await hashPassword(password);
    const now = new Date().toISOString();
    const changed = (await this.#records.modify(user.id, (current) => ({
      ...current,
      passwordHash,
      passwordSetAt: now,
      mustChangePassword: true,
      updatedAt: now,
    }))) as UserRecord | undefined;
    return changed ? { password, user: changed } : undefined;
  }

  /** Sets a password the user chose (no longer one-time); undefined if the user is gone. */
  async changePassword(id: string, password: string): Promise<UserRecord | undefined> {
    const passwordHash = await hashPassword(password);
    const now = new Date().toISOString();
    return (await this.#records.modify(id, (current) => ({
      ...current,
      passwordHash,
      passwordSetAt: now,
      mustChangePassword: false,
      updatedAt: now,
    }))) as UserRecord | undefined;
  }

  /** Notes a successful sign-in (`lastLoginAt`), leaving `updatedAt`: the user did not change. */
  async recordLogin(id: string, at = new Date()): Promise<void> {
    await this.#records.modify(id, (current) => ({ ...current, lastLoginAt: at.toISOString() }));
  }

  /** Lifts a disable; undefined if no user has the email. */
  async enable(email: string): Promise<UserRecord | undefined> {
    const user = await this.findByEmail(email);
    if (!user) return undefined;
    const now = new Date().toISOString();
    return (await this.#records.modify(user.id, (current) => {
      const { disabledAt: _disabled, ...rest } = current as UserRecord;
      return { ...rest, updatedAt: now };
    })) as UserRecord | undefined;
  }

  /**
   * The user, when `password` is theirs and they are not disabled; undefined otherwise,
   * whichever it is (the console's login says no more than that). An unknown email costs
   * a hash too, so the time taken does not tell which emails exist.
   */
  async verifyPassword(email: string, password: string): Promise<UserRecord | undefined> {
    const user = await this.findByEmail(email);
    const matches = await verifyPassword(password, user?.passwordHash ?? (await unknownUserHash()));
    return user && matches && !user.disabledAt ? user : undefined;
  }
}

/** What an unknown email's password is checked against: a hash of nothing anyone knows, made once. */
let unknownHash: Promise<string> | undefined;
function unknownUserHash(): Promise<string> {
  unknownHash ??= hashPassword(oneTimePassword());
  return unknownHash;
}

/** A user without the hash, for lists and answers. */
export function shownUser(user: UserRecord): ShownUser {
  const { passwordHash: _hash, ...rest } = user;
  return rest;
}

/** `ann@example.com editor tickets,notes`: what an audit entry says of a new user (never a password or hash). */
export function describeUser(user: UserRecord): string {
  return [user.email, user.role, ...(user.automations ? [user.automations.join(',')] : [])].join(' ');
}
