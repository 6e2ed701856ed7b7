import type { StoragePlan, StorageSpec, StorageStep } from '../types.ts';
import type { Executor } from './executor.ts';
import {
  addColumn,
  dropColumn,
  dropIndex,
  EXTRA_COLUMN,
  type ExistingColumn,
  existingColumnsQuery,
  existingIndexesQuery,
  holdsValuesQuery,
  isBuiltIn,
  isSearchIndex,
  retypeColumn,
  storeExternal,
  type TableSchema,
  typeText,
} from './schema.ts';

/**
 * What it takes to bring the live table to the schema, read from the catalog and the
 * data, without changing anything. Adding columns and indexes is always done; a change
 * that would lose values (dropping a column that holds some, converting one to another
 * type) only where `spec.migrations` allows it for that property, and refused otherwise.
 * A removed property whose column is empty is dropped; an empty column is retyped freely.
 *
 * Each step says when a reload may run it (`StorageStep.defer`): adding columns and
 * indexes at once, as the older version's statements name their columns and survive
 * them; dropping columns (and an old text index) once the older version has drained;
 * retyping a column, and indexing a retyped column, after that too, with the new
 * version's requests held until it is done.
 */
export async function planMigration(db: Executor, schema: TableSchema, spec: StorageSpec): Promise<StoragePlan> {
  const { table } = schema;
  const allow = { drop: spec.migrations?.drop ?? [], retype: spec.migrations?.retype ?? [] };
  const existing = (await db.query(existingColumnsQuery, [table])) as unknown as ExistingColumn[];
  if (existing.length === 0) {
    const steps = [{ statement: schema.createTable, why: `create table "${table}"` }];
    for (const c of schema.columns.filter((c) => c.bulk)) steps.push(externalStep(table, c.name));
    for (const index of schema.indexes) steps.push({ statement: index.statement, why: `index ${index.name}` });
    return { target: `table ${table}`, steps, refused: [] };
  }
  const steps: StorageStep[] = [];
  const retyped = new Set<string>();
  const refused: { field: string; message: string }[] = [];
  const holdsValues = async (column: string) => {
    const [row] = await db.query(holdsValuesQuery(table, column), []);
    return row?.holds === true;
  };
  const live = new Map(existing.map((c) => [c.name, c]));

  for (const wanted of schema.columns) {
    const found = live.get(wanted.name);
    const need = typeText(wanted.type, wanted.collation);
    if (!found) {
      if (isBuiltIn(wanted.name))
        refused.push({ field: wanted.name, message: `table "${table}" has no column "${wanted.name}"; it was not created by theCouncil` });
      else steps.push({ statement: addColumn(table, wanted), why: `new property ${wanted.name}: add a nullable ${need} column` });
      if (wanted.bulk) steps.push(externalStep(table, wanted.name));
      continue;
    }
    if (wanted.bulk && found.storage !== 'e') steps.push(externalStep(table, wanted.name));
    const have = typeText(found.type, found.collation);
    if (have === need) continue;
    retyped.add(wanted.name);
    if (isBuiltIn(wanted.name)) {
      refused.push({
        field: wanted.name,
        message: `table "${table}" column "${wanted.name}" is ${have}, not ${need}; it was not created by theCouncil`,
      });
    } else if (found.type === wanted.type) {
      // Only the collation differs: the values stay the same, only their order changes.
      steps.push({
        statement: retypeColumn(table, found, wanted, false),
        why: `${wanted.name}: collation of ${have} to ${need}`,
        defer: 'gated',
      });
    } else if (!(await holdsValues(wanted.name))) {
      steps.push({
        statement: retypeColumn(table, found, wanted, true),
        why: `${wanted.name}: ${have} to ${need} (the column holds no value)`,
        defer: 'gated',
      });
    } else if (allow.retype.includes(wanted.name)) {
      steps.push({
        statement: retypeColumn(table, found, wanted, false),
        why: `${wanted.name}: convert the values from ${have} to ${need} (storage.migrations.retype)`,
        defer: 'gated',
      });
    } else {
      refused.push({
        field: wanted.name,
        message: `property "${wanted.name}" is now ${need} but its column is ${have} and holds values; to convert them, list ${wanted.name} under storage.migrations.retype (values that cannot convert fail the change), or restore the property's type`,
      });
    }
  }
  for (const found of existing) {
    if (schema.byName.has(found.name) || isBuiltIn(found.name) || found.name === EXTRA_COLUMN) continue;
    if (!(await holdsValues(found.name))) {
      steps.push({
        statement: dropColumn(table, found.name),
        why: `property ${found.name} was removed (the column holds no value)`,
        defer: 'drained',
      });
    } else if (allow.drop.includes(found.name)) {
      steps.push({
        statement: dropColumn(table, found.name),
        why: `property ${found.name} was removed: drop its column and values (storage.migrations.drop)`,
        defer: 'drained',
      });
    } else {
      refused.push({
        field: found.name,
        message: `property "${found.name}" was removed but its column still holds values; to delete them, list ${found.name} under storage.migrations.drop, or put the property back`,
      });
    }
  }
  const liveIndexes = (await db.query(existingIndexesQuery, [table])) as unknown as { name: string; definition: string }[];
  const names = new Set(liveIndexes.map((r) => r.name));
  for (const index of schema.indexes) {
    if (names.has(index.name)) continue;
    // An index over a column changing type is built after the change (a text index cannot read the old type).
    const defer = index.fields.some((f) => retyped.has(f)) ? ('gated' as const) : undefined;
    steps.push({ statement: index.statement, why: `index ${index.name}`, ...(defer ? { defer } : {}) });
  }
  // A full-text index over fields that are no longer searched only slows writes down.
  for (const index of liveIndexes) {
    if (isSearchIndex(index.definition) && !schema.indexes.some((i) => i.name === index.name)) {
      steps.push({
        statement: dropIndex(index.name),
        why: `the searchable fields changed: drop the old text index ${index.name}`,
        defer: 'drained',
      });
    }
  }
  return { target: `table ${table}`, steps, refused };
}

function externalStep(table: string, name: string): StorageStep {
  return { statement: storeExternal(table, name), why: `${name}: keep its large values uncompressed (storage external)` };
}
