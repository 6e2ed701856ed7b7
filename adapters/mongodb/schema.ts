import { type Db, type Document, MongoServerError } from 'mongodb';
import type { StorageSpec } from '../types.ts';
import { collectionValidator, fieldPath, indexSpecs, OWNED_INDEX_PREFIXES, VALIDATION } from './query.ts';

export interface SchemaStep {
  /** The step as a mongosh command, for `council migrate --dry-run`. */
  readonly statement: string;
  readonly why: string;
  readonly run: () => Promise<unknown>;
}

// IndexOptionsConflict, IndexKeySpecsConflict: e.g. a second text index.
export const INDEX_CONFLICT_CODES = new Set([85, 86]);
// NamespaceExists, IndexNotFound: another process got there first.
const ALREADY_DONE_CODES = new Set([48, 27]);

/**
 * What it takes to bring the collection to the spec, read from the server without
 * changing anything: create it (or replace its validator), drop the unique and text
 * indexes the spec no longer wants (only one text index may exist), create the missing
 * indexes, and unset the values of removed properties listed under `migrations.drop`.
 */
export async function schemaSteps(db: Db, spec: StorageSpec): Promise<SchemaStep[]> {
  const name = spec.collection;
  const collection = db.collection(name);
  const shell = `db.getCollection(${JSON.stringify(name)})`;
  const validator = collectionValidator(spec);
  const wanted = indexSpecs(spec);
  const [info] = await db.listCollections({ name }, { nameOnly: false }).toArray();
  const steps: SchemaStep[] = [];
  const tolerate = (run: () => Promise<unknown>) => () =>
    run().catch((error) => {
      if (!(error instanceof MongoServerError && ALREADY_DONE_CODES.has(Number(error.code)))) throw error;
    });
  if (!info) {
    const options = { validator, ...VALIDATION };
    steps.push({
      statement: `db.createCollection(${JSON.stringify(name)}, ${JSON.stringify(options)})`,
      why: `create collection ${name} with a validator from the resource schema`,
      run: tolerate(() => db.createCollection(name, options)),
    });
  } else if (!sameValidation(info.options ?? {}, validator)) {
    const command = { collMod: name, validator, ...VALIDATION };
    steps.push({
      statement: `db.runCommand(${JSON.stringify(command)})`,
      why: 'replace the validator (the resource schema changed)',
      run: () => db.command(command),
    });
  }
  const live = info ? await collection.listIndexes().toArray() : [];
  const wantedNames = new Set(wanted.map((index) => index.name));
  for (const { name: index } of live as { name: string }[]) {
    if (!OWNED_INDEX_PREFIXES.some((prefix) => index.startsWith(prefix)) || wantedNames.has(index)) continue;
    steps.push({
      statement: `${shell}.dropIndex(${JSON.stringify(index)})`,
      why: `drop index ${index} (the spec no longer wants it)`,
      run: tolerate(() => collection.dropIndex(index)),
    });
  }
  const liveNames = new Set(live.map((index) => index.name as string));
  for (const { why, ...index } of wanted) {
    if (liveNames.has(index.name)) continue;
    const { key, ...options } = index;
    steps.push({
      statement: `${shell}.createIndex(${JSON.stringify(key)}, ${JSON.stringify(options)})`,
      why: `create index ${index.name} (${why})`,
      run: () => collection.createIndexes([index]),
    });
  }
  for (const field of info ? (spec.migrations?.drop ?? []) : []) {
    if (spec.fields.some((f) => f.name === field)) continue;
    const holding = { [fieldPath(field)]: { $exists: true } };
    if (!(await collection.findOne(holding, { projection: { _id: 1 } }))) continue;
    const unset = { $unset: { [fieldPath(field)]: '' } };
    steps.push({
      statement: `${shell}.updateMany(${JSON.stringify(holding)}, ${JSON.stringify(unset)})`,
      why: `property ${field} was removed: delete its values (storage.migrations.drop)`,
      run: () => collection.updateMany(holding, unset),
    });
  }
  return steps;
}

/** The server keeps the validator as it was sent, so the same spec gives the same JSON. */
function sameValidation(options: Document, validator: Document): boolean {
  return (
    JSON.stringify(options.validator) === JSON.stringify(validator) &&
    options.validationLevel === VALIDATION.validationLevel &&
    options.validationAction === VALIDATION.validationAction
  );
}
