import { isMap, isPair, isScalar, visit } from 'yaml';
import { propertiesOf } from '../compile/fields.ts';
import { ENGINE_FIELDS, type JsonSchema } from '../compile/plan.ts';
import { createRecordAjv } from '../compile/record-ajv.ts';
import { ajvErrorsToIssues } from './ajv-issues.ts';
import type { ManifestIssue } from './issues.ts';
import type { SchemaLocation } from './manifest.ts';
import { issueAt, pathToPointer } from './source.ts';

/** Column and query-parameter safe: PostgreSQL identifiers are at most 63 bytes. */
const PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Checks that the resource schema is a valid JSON Schema that ajv can compile in strict
 * mode, and that it describes an object whose top-level properties can be stored.
 */
export function checkResourceSchema(schema: JsonSchema, at: SchemaLocation): ManifestIssue[] {
  const ajv = createRecordAjv();
  if (!ajv.validateSchema(schema)) {
    return ajvErrorsToIssues(at.source, ajv.errors, 'schema-invalid', at.base).map((i) => ({
      ...i,
      message: `invalid JSON Schema: ${i.message}`,
    }));
  }
  const issues: ManifestIssue[] = [];
  try {
    ajv.compile(schema);
  } catch (error) {
    issues.push(compileIssue(error, at));
  }
  if (schema.type !== 'object' || typeof schema.properties !== 'object') {
    issues.push(issueAt(at.source, at.base, 'schema-not-object', 'schema: a record schema needs `type: object` and `properties`'));
  }
  for (const name of Object.keys(propertiesOf(schema))) {
    const path = [...at.base, 'properties', name];
    if ((ENGINE_FIELDS as readonly string[]).includes(name)) {
      issues.push(
        issueAt(
          at.source,
          path,
          'property-reserved',
          `property "${name}" is managed by the engine on every record; remove it from the schema`,
          { key: true },
        ),
      );
    } else if (!PROPERTY_NAME.test(name)) {
      issues.push(
        issueAt(
          at.source,
          path,
          'property-name-invalid',
          `property "${name}" must match ${PROPERTY_NAME.source} (letters, digits, underscore) so it can name a column and a query parameter`,
          { key: true },
        ),
      );
    }
  }
  return issues;
}

/** ajv's strict-mode compile errors name a keyword but no path: find that keyword in the YAML. */
function compileIssue(error: unknown, at: SchemaLocation): ManifestIssue {
  const message = error instanceof Error ? error.message : String(error);
  const keyword = /keyword: "([^"]+)"/.exec(message)?.[1];
  const offset = keyword ? findKeyOffset(at, keyword) : undefined;
  const base = issueAt(at.source, at.base, 'schema-invalid', `invalid JSON Schema: ${message}`);
  if (offset === undefined) return base;
  const { line, col } = at.source.lines.linePos(offset);
  return { ...base, line, col, pointer: pathToPointer(at.base) };
}

function findKeyOffset(at: SchemaLocation, keyword: string): number | undefined {
  const root = at.base.length ? at.source.doc.getIn(at.base, true) : at.source.doc.contents;
  let found: number | undefined;
  if (!isMap(root)) return undefined;
  visit(root, {
    Pair(_, pair) {
      if (isPair(pair) && isScalar(pair.key) && pair.key.value === keyword) {
        found = pair.key.range?.[0];
        return visit.BREAK;
      }
    },
  });
  return found;
}
