import { backendsWith, capabilities } from '../../adapters/capabilities.ts';
import { didYouMean } from '../errors/did-you-mean.ts';
import { fieldKind, propertiesOf } from '../schema/fields.ts';
import { filterDeclaration, OPERATORS_BY_KIND } from '../schema/filter-operators.ts';
import type { JsonSchema } from '../schema/json-schema.ts';
import type { ManifestIssue } from '../source/issues.ts';
import { issueAt, type PathSegment, type SourceFile } from '../source/source.ts';
import type { EndpointDeclaration, Manifest } from './manifest.ts';

/** Query parameters every list endpoint reserves; no filter may shadow them. */
export const RESERVED_QUERY_PARAMETERS = ['limit', 'cursor', 'sort', 'fields', 'count'] as const;

/**
 * A list's `filters`: each names a scalar property, not a reserved parameter, and any
 * operators it lists apply to the property's type and exist on the backend.
 */
export function checkFilters(
  source: SourceFile,
  manifest: Manifest,
  endpoint: EndpointDeclaration,
  at: readonly PathSegment[],
  schema: JsonSchema,
): ManifestIssue[] {
  const properties = propertiesOf(schema);
  const { backend } = manifest.storage;
  const issues: ManifestIssue[] = [];
  const seen = new Set<string>();
  endpoint.filters?.forEach((entry, i) => {
    const { field, operators } = filterDeclaration(entry);
    const path = typeof entry === 'string' ? [...at, 'filters', i] : [...at, 'filters', i, 'field'];
    const kind = field in properties ? fieldKind(properties[field], schema) : undefined;
    if (seen.has(field)) {
      issues.push(
        issueAt(source, path, 'filter-duplicate', `filter "${field}" is declared twice; keep one entry (list all its operators there)`),
      );
    } else if (kind === undefined) {
      const message = `filter "${field}" is not a property of the schema${didYouMean(field, Object.keys(properties))}`;
      issues.push(issueAt(source, path, 'filter-unknown-field', message));
    } else if (kind === 'json') {
      const message = `filter "${field}" must be a string, integer, number or boolean property; objects and arrays cannot be filtered`;
      issues.push(issueAt(source, path, 'filter-not-scalar', message));
    } else if ((RESERVED_QUERY_PARAMETERS as readonly string[]).includes(field)) {
      const message = `filter "${field}" would shadow the "${field}" query parameter every list accepts`;
      issues.push(issueAt(source, path, 'filter-name-reserved', message));
    } else {
      const backendHas = capabilities[backend]?.filterOperators;
      operators?.forEach((op, j) => {
        const opPath = [...at, 'filters', i, 'operators', j];
        if (!OPERATORS_BY_KIND[kind].includes(op)) {
          const message = `operator "${op}" does not apply to ${kind} property "${field}"; it takes ${OPERATORS_BY_KIND[kind].join(', ')}`;
          issues.push(issueAt(source, opPath, 'filter-operator-invalid', message));
        } else if (backendHas && !backendHas.includes(op)) {
          const able = backendsWith((can) => can.filterOperators.includes(op));
          const message = `backend ${backend} cannot filter with "${op}" (it has ${backendHas.join(', ')}); use ${able}, or remove "${op}"`;
          issues.push(issueAt(source, opPath, 'capability-missing', message));
        }
      });
    }
    seen.add(field);
  });
  return issues;
}

/** A search endpoint names the string properties it searches, on a backend that can search. */
export function checkSearch(
  source: SourceFile,
  manifest: Manifest,
  endpoint: EndpointDeclaration,
  at: readonly PathSegment[],
  schema: JsonSchema,
): ManifestIssue[] {
  if (endpoint.operation !== 'search') return [];
  const { backend } = manifest.storage;
  if (capabilities[backend] && !capabilities[backend].search) {
    const message = `backend ${backend} cannot search text (search); use ${backendsWith((can) => can.search)}, or remove this endpoint`;
    return [issueAt(source, [...at, 'operation'], 'capability-missing', message)];
  }
  if (!endpoint.fields) {
    const message = 'a search endpoint needs `fields`: the string properties whose words it matches, e.g. fields: [title, body]';
    return [issueAt(source, [...at, 'operation'], 'search-invalid', message)];
  }
  const properties = propertiesOf(schema);
  const strings = Object.keys(properties).filter((name) => fieldKind(properties[name], schema) === 'string');
  return endpoint.fields.flatMap((field, i) =>
    strings.includes(field)
      ? []
      : [
          issueAt(
            source,
            [...at, 'fields', i],
            'search-invalid',
            `"${field}" is not a string property${didYouMean(field, strings)}; search matches words in string properties`,
          ),
        ],
  );
}

/** A batch carries the writes the automation declares: at least one of them. */
export function checkBatch(
  source: SourceFile,
  manifest: Manifest,
  endpoint: EndpointDeclaration,
  at: readonly PathSegment[],
): ManifestIssue[] {
  if (endpoint.operation !== 'batch') return [];
  const writes = ['create', 'update', 'replace', 'delete'];
  if (manifest.endpoints.some((e) => writes.includes(e.operation))) return [];
  const message = `a batch carries the writes this automation declares, and it declares none; add ${writes.join(', ')} endpoints it should carry, or remove batch`;
  return [issueAt(source, [...at, 'operation'], 'batch-invalid', message)];
}

/** An upsert finds its record by a unique field, in one atomic step the backend must offer. */
export function checkUpsert(
  source: SourceFile,
  manifest: Manifest,
  endpoint: EndpointDeclaration,
  at: readonly PathSegment[],
): ManifestIssue[] {
  if (endpoint.operation !== 'upsert') return [];
  const { backend } = manifest.storage;
  if (capabilities[backend] && !capabilities[backend].upsert) {
    const message = `backend ${backend} cannot create-or-replace by a unique field in one atomic step (upsert); use ${backendsWith((can) => can.upsert === true)}, or remove this endpoint`;
    return [issueAt(source, [...at, 'operation'], 'capability-missing', message)];
  }
  if ((manifest.storage.unique ?? []).length === 0) {
    const message =
      'an upsert finds the record to replace by a unique field: list it under storage.unique (e.g. unique: [email]), or remove upsert';
    return [issueAt(source, [...at, 'operation'], 'upsert-invalid', message)];
  }
  return [];
}
