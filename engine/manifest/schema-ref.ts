import { dirname, isAbsolute, join } from 'node:path';
import type { JsonSchema } from '../schema/json-schema.ts';
import type { ManifestIssue } from '../source/issues.ts';
import { issueAt, type PathSegment, parseSource, type SourceFile } from '../source/source.ts';
import type { SchemaLocation } from './manifest.ts';
import { readManifestText } from './read-text.ts';

/**
 * Resolves `schema: { $ref: ./file.yaml }` (relative to the manifest) to the schema in
 * that file, keeping the file's own positions for later errors. Inline schemas and
 * local refs (`#/...`) are returned as they are.
 */
export function resolveResourceSchema(
  source: SourceFile,
  schema: JsonSchema,
  /** Where the schema is written in `source`: `schema`, or an earlier version's. */
  path: readonly PathSegment[] = ['schema'],
): { schema?: JsonSchema; at?: SchemaLocation; file?: string; text?: string; issues: ManifestIssue[] } {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || ref.startsWith('#')) {
    return { schema, at: { source, base: path }, issues: [] };
  }
  const refPath = [...path, '$ref'];
  if (Object.keys(schema).length > 1) {
    return {
      issues: [
        issueAt(source, path, 'schema-ref-unresolved', 'schema: a $ref to a file must stand alone; move the other keywords into that file'),
      ],
    };
  }
  // Named like the manifest was (relative stays relative), so reports read the same.
  const file = isAbsolute(ref) ? ref : join(dirname(source.file), ref);
  const read = readManifestText(file);
  if (read.issue?.code === 'file-unreadable')
    return { issues: [issueAt(source, refPath, 'schema-ref-unresolved', `schema.$ref: cannot read "${ref}" (looked for ${file})`)], file };
  if (read.issue) return { issues: [read.issue], file };
  const { text } = read;
  const parsed = parseSource(file, text);
  if (parsed.issues.length) return { issues: parsed.issues, file, text };
  const { value } = parsed;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { issues: [issueAt(parsed.source, [], 'schema-ref-unresolved', `${ref} must contain a JSON Schema object`)], file, text };
  }
  return { schema: value as JsonSchema, at: { source: parsed.source, base: [] }, file, text, issues: [] };
}
