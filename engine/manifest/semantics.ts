import { backendsWith, capabilities, capabilityWords } from '../../adapters/capabilities.ts';
import { didYouMean } from '../errors/did-you-mean.ts';
import { fieldKind, propertiesOf } from '../schema/fields.ts';
import { indexedFields } from '../schema/indexed-fields.ts';
import { ENGINE_FIELDS, type JsonSchema } from '../schema/json-schema.ts';
import { referencesOf } from '../schema/references.ts';
import type { ManifestIssue } from '../source/issues.ts';
import { issueAt, type PathSegment, type SourceFile } from '../source/source.ts';
import { checkBatch, checkFilters, checkSearch, checkUpsert } from './endpoint-options.ts';
import type { Manifest } from './manifest.ts';
import { checkReferences } from './references.ts';

/** The connections a manifest may name: connection name -> backend. */
export type ConnectionBackends = ReadonlyMap<string, string>;

/** Checks endpoints against the resource schema and storage against the configured connections. */
export function checkSemantics(
  source: SourceFile,
  manifest: Manifest,
  schema: JsonSchema,
  connections: ConnectionBackends,
): ManifestIssue[] {
  return [
    ...checkEndpoints(source, manifest, schema),
    ...checkConnection(source, manifest, connections),
    ...checkMigrations(source, manifest, schema),
    ...checkCapabilities(source, manifest),
    ...checkUnique(source, manifest, schema),
    ...checkReferences(source, manifest, schema),
    ...publicEndpoints(source, manifest),
  ];
}

/**
 * Every endpoint open without a key, as a warning: `validate` lists them so a review sees
 * each one. `public: true` opens them all at one place: one warning naming them all (with
 * 1,000 such manifests, one line per operation was 6% of a start).
 */
function publicEndpoints(source: SourceFile, manifest: Manifest): ManifestIssue[] {
  const open = manifest.access?.public;
  if (!open) return [];
  const declared = manifest.endpoints.map((e) => e.operation);
  const warning = (operations: string[], path: PathSegment[]) =>
    issueAt(
      source,
      path,
      'access-public',
      `${wordList(operations)} on /${manifest.name} ${operations.length === 1 ? 'answers' : 'answer'} without an API key (access.public); anyone who can reach the server can call ${operations.length === 1 ? 'it' : 'them'}`,
      { severity: 'warning' },
    );
  if (open === true) return [warning(declared, ['access', 'public'])];
  return open.flatMap((operation, i) => (declared.includes(operation) ? warning([operation], ['access', 'public', i]) : []));
}

/** `list, get and create`. */
function wordList(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** What the manifest asks of its backend must be something the backend can do. */
function checkCapabilities(source: SourceFile, manifest: Manifest): ManifestIssue[] {
  const { backend } = manifest.storage;
  const can = capabilities[backend];
  if (!can) return [];
  const issues: ManifestIssue[] = [];
  for (const capability of ['ttl', 'unique'] as const) {
    if (manifest.storage[capability] === undefined || can[capability]) continue;
    const message = `backend ${backend} cannot ${capabilityWords[capability]}; use ${backendsWith((can) => can[capability])}, or remove ${capability}`;
    issues.push(issueAt(source, ['storage', capability], 'capability-missing', message, { key: true }));
  }
  if (can.listIndexes !== undefined) issues.push(...checkListIndexes(source, manifest, can.listIndexes));
  return issues;
}

/**
 * A backend that spends one index per sort and per (filter, sort) pair (dynamodb) has
 * only so many: counted over every list, reported at the last list that declares any.
 */
function checkListIndexes(source: SourceFile, manifest: Manifest, limit: number): ManifestIssue[] {
  const { filterable, sortable } = indexedFields(manifest);
  const needed = sortable.length + filterable.length * sortable.length;
  if (needed <= limit) return [];
  // Within the limit without its references, a reference's reverse list is what needs one too many.
  const references = referencesOf(manifest);
  const without = indexedFields({ ...manifest, references: {} });
  const first = references.find((r) => !without.filterable.includes(r.field));
  if (first && without.sortable.length + without.filterable.length * without.sortable.length <= limit) {
    const message = `backend ${manifest.storage.backend} gives each list sort, and each filter with each sort, an index of its own and has ${limit}; a reference's field is filtered on (its reverse list and onDelete read by it), so these need ${needed} (${sortable.length} sorts incl. createdAt + ${filterable.length} filters incl. ${first.field} x ${sortable.length} sorts): declare fewer filters or sorts, or keep the automation on ${backendsWith((can) => can.listIndexes === undefined)}`;
    return [issueAt(source, ['references', first.name, 'field'], 'capability-missing', message)];
  }
  const lists = manifest.endpoints.map((e, i) => ({ e, i })).filter(({ e }) => e.operation === 'list');
  const last = lists.findLast(({ e }) => e.filters?.length || e.sort?.length) ?? lists[lists.length - 1];
  const key = last?.e.filters?.length ? 'filters' : last?.e.sort?.length ? 'sort' : 'operation';
  const message = `backend ${manifest.storage.backend} gives each list sort, and each filter with each sort, an index of its own and has ${limit}; these lists need ${needed} (${sortable.length} sorts incl. createdAt + ${filterable.length} filters x ${sortable.length} sorts): declare fewer filters or sorts, or use ${backendsWith((can) => can.listIndexes === undefined)}`;
  return [issueAt(source, ['endpoints', last?.i ?? 0, key], 'capability-missing', message, { key: true })];
}

/** Unique and indexed fields must be scalar properties the schema declares. */
function checkUnique(source: SourceFile, manifest: Manifest, schema: JsonSchema): ManifestIssue[] {
  const properties = propertiesOf(schema);
  const scalars = Object.keys(properties).filter((name) => fieldKind(properties[name], schema) !== 'json');
  const check = (key: 'unique' | 'indexes', code: 'unique-invalid' | 'index-invalid') =>
    (manifest.storage[key] ?? []).flatMap((field, index) =>
      scalars.includes(field)
        ? []
        : [
            issueAt(
              source,
              ['storage', key, index],
              code,
              `"${field}" is not a string, integer, number or boolean property${didYouMean(field, scalars)}; ${key} applies to those`,
            ),
          ],
    );
  return [...check('unique', 'unique-invalid'), ...check('indexes', 'index-invalid')];
}

/** `storage.migrations` names columns: only a backend with `columns` has them; `drop` removed properties, `retype` declared ones. */
function checkMigrations(source: SourceFile, manifest: Manifest, schema: JsonSchema): ManifestIssue[] {
  const migrations = manifest.storage.migrations;
  if (!migrations) return [];
  if (!capabilities[manifest.storage.backend]?.columns) {
    const message = `storage.migrations applies to ${backendsWith((can) => can.columns === true)} tables; ${manifest.storage.backend} keeps no columns, remove it`;
    return [issueAt(source, ['storage', 'migrations'], 'migrations-invalid', message, { key: true })];
  }
  const declared = Object.keys(propertiesOf(schema));
  const issues: ManifestIssue[] = [];
  (migrations.drop ?? []).forEach((name, index) => {
    if (declared.includes(name)) {
      const message = `"${name}" is a declared property, so its column is kept; remove it from drop, or remove the property to drop its column`;
      issues.push(issueAt(source, ['storage', 'migrations', 'drop', index], 'migrations-invalid', message));
    }
  });
  (migrations.retype ?? []).forEach((name, index) => {
    if (!declared.includes(name)) {
      const message = `"${name}" is not a declared property${didYouMean(name, declared)}; retype converts the values of a property the schema declares`;
      issues.push(issueAt(source, ['storage', 'migrations', 'retype', index], 'migrations-invalid', message));
    }
  });
  return issues;
}

/** The endpoints against the schema; `base` is where they are written (an earlier version's under `versions:`). */
export function checkEndpoints(
  source: SourceFile,
  manifest: Manifest,
  schema: JsonSchema,
  base: readonly PathSegment[] = ['endpoints'],
): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const properties = propertiesOf(schema);
  const scalars = Object.keys(properties).filter((name) => fieldKind(properties[name], schema) !== 'json');
  const seen = new Set<string>();
  manifest.endpoints.forEach((endpoint, index) => {
    const at = [...base, index];
    if (seen.has(endpoint.operation)) {
      issues.push(
        issueAt(source, [...at, 'operation'], 'endpoint-duplicate', `operation "${endpoint.operation}" is declared twice; keep one`),
      );
    }
    seen.add(endpoint.operation);
    for (const option of ['filters', 'sort', 'fields'] as const) {
      const belongsTo = option === 'fields' ? 'search' : 'list';
      if (endpoint[option] && endpoint.operation !== belongsTo) {
        issues.push(
          issueAt(
            source,
            [...at, option],
            'endpoint-option-misplaced',
            `"${option}" only applies to the ${belongsTo} operation, not "${endpoint.operation}"`,
            { key: true },
          ),
        );
      }
    }
    if ((endpoint.operation === 'delete' || endpoint.operation === 'batch') && endpoint.consequential === false) {
      const message = `\`consequential: false\` does not apply to ${endpoint.operation}: a model always asks its user before ${endpoint.operation === 'delete' ? 'deleting' : 'a batch of writes'}; remove it`;
      issues.push(issueAt(source, [...at, 'consequential'], 'endpoint-option-misplaced', message));
    }
    issues.push(
      ...checkFilters(source, manifest, endpoint, at, schema),
      ...checkSearch(source, manifest, endpoint, at, schema),
      ...checkBatch(source, manifest, endpoint, at),
      ...checkUpsert(source, manifest, endpoint, at),
    );
    const sortable = [...scalars, ...ENGINE_FIELDS];
    endpoint.sort?.forEach((field, i) => {
      if (!sortable.includes(field)) {
        issues.push(
          issueAt(
            source,
            [...at, 'sort', i],
            'sort-unknown-field',
            `sort field "${field}" must be a string, integer, number or boolean property, or id, createdAt, updatedAt${didYouMean(field, sortable)}`,
          ),
        );
      }
    });
  });
  return issues;
}

function checkConnection(source: SourceFile, manifest: Manifest, connections: ConnectionBackends): ManifestIssue[] {
  const { backend, connection } = manifest.storage;
  const name = connection ?? backend;
  const path = connection ? ['storage', 'connection'] : ['storage', 'backend'];
  const actual = connections.get(name);
  if (actual === undefined) {
    const known = [...connections.keys()];
    return [
      issueAt(
        source,
        path,
        'connection-unknown',
        `no connection named "${name}" in council.config.yaml${didYouMean(name, known) || (known.length ? ` (defined: ${known.join(', ')})` : '')}`,
      ),
    ];
  }
  if (actual !== backend) {
    return [
      issueAt(
        source,
        path,
        'connection-backend-mismatch',
        `connection "${name}" is a ${actual} connection, but storage.backend is ${backend}`,
      ),
    ];
  }
  return [];
}
