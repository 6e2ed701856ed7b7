import type { JsonSchema } from '../compile/plan.ts';
import type { LoadedManifest } from '../manifest/manifest.ts';
import { propertiesOf } from '../schema/fields.ts';
import type { ManifestIssue } from '../source/issues.ts';
import { issueAt, type PathSegment } from '../source/source.ts';

/** Formats whose values have a length of their own: no maxLength needed. */
const BOUNDED_FORMATS = new Set(['date', 'date-time', 'time', 'uuid', 'ipv4', 'ipv6']);

/**
 * GPT profile: a string property without `maxLength`, or an array without `maxItems`, at
 * any depth of objects and array items. A model cannot tell from the schema how long a
 * value may be, and one value can outgrow what a response holds (`pagination.maxResponseChars`;
 * GPT Actions read at most 100,000 characters), to be cut and read in pieces. Strings
 * limited by `enum`, `const` or a fixed-length format raise nothing. Each issue is at the
 * property (or its `items`) in the manifest or the `$ref`-ed schema file.
 */
export function boundIssues(loaded: LoadedManifest, severity: 'warning' | 'error'): ManifestIssue[] {
  const { source, base } = loaded.schemaAt;
  const issues: ManifestIssue[] = [];
  const visit = (schema: JsonSchema, path: PathSegment[], where: string) => {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const at = [...base, ...path];
    const fixed = schema.enum !== undefined || schema.const !== undefined || BOUNDED_FORMATS.has(String(schema.format));
    if (types.includes('string') && schema.maxLength === undefined && !fixed) {
      issues.push(
        issueAt(
          source,
          at,
          'gpt-max-length-missing',
          `property "${where}" is a string without maxLength: a model cannot tell how long it may be, and a value longer than a response holds is cut (read in pieces); set maxLength`,
          { key: true, severity },
        ),
      );
    }
    if (types.includes('array') && schema.maxItems === undefined) {
      issues.push(
        issueAt(
          source,
          at,
          'gpt-max-items-missing',
          `property "${where}" is an array without maxItems: a model cannot tell how many items it may hold, and a list longer than a response holds is cut (read in pieces); set maxItems`,
          { key: true, severity },
        ),
      );
    }
    if (isSchema(schema.items)) visit(schema.items, [...path, 'items'], `${where}[]`);
    for (const [name, property] of Object.entries(propertiesOf(schema))) {
      if (isSchema(property)) visit(property, [...path, 'properties', name], `${where}.${name}`);
    }
  };
  for (const [name, property] of Object.entries(propertiesOf(loaded.schema))) {
    if (isSchema(property)) visit(property, ['properties', name], name);
  }
  return issues;
}

/** A schema object to look into; `$ref`s are checked where they point, as the other GPT rules do. */
function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !('$ref' in value);
}
