import { didYouMean } from '../errors/did-you-mean.ts';
import { fieldKind, propertiesOf } from '../schema/fields.ts';
import { ENGINE_FIELDS, type JsonSchema } from '../schema/json-schema.ts';
import { referencesOf } from '../schema/references.ts';
import type { ManifestIssue } from '../source/issues.ts';
import { issueAt, type SourceFile } from '../source/source.ts';
import type { Manifest } from './manifest.ts';

/**
 * What one manifest's `references:` must be on its own: each names a string property
 * (ids are strings), once, under a relation name no property has (the embedded record
 * goes under that name), and `setNull` only on a property that may be absent. Whether the
 * referred automation exists, and whether cascades loop, is checked across manifests.
 */
export function checkReferences(source: SourceFile, manifest: Manifest, schema: JsonSchema): ManifestIssue[] {
  const properties = propertiesOf(schema);
  const names = Object.keys(properties);
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  const issues: ManifestIssue[] = [];
  const fields = new Map<string, string>();
  for (const reference of referencesOf(manifest)) {
    const at = ['references', reference.name];
    const invalid = (key: string | undefined, message: string, options: { key?: boolean } = {}) =>
      issues.push(issueAt(source, key ? [...at, key] : at, 'reference-invalid', message, options));
    if (names.includes(reference.name) || (ENGINE_FIELDS as readonly string[]).includes(reference.name)) {
      invalid(
        undefined,
        `relation "${reference.name}" has the name of a property; an expanded record goes under the relation's name, so rename it (e.g. "${reference.name}Record")`,
        { key: true },
      );
    }
    const { field } = reference;
    if (!names.includes(field)) {
      invalid(
        'field',
        `"${field}" is not a property of the schema${didYouMean(field, names)}; a reference names the property that holds the other record's id`,
      );
      continue;
    }
    const kind = fieldKind(properties[field], schema);
    if (kind !== 'string') {
      invalid(
        'field',
        `"${field}" is ${kind === 'json' ? 'not a scalar' : kind === 'integer' ? 'an integer' : `a ${kind}`}, but ${reference.automation} ids are strings (UUIDs); declare it as type: string, format: uuid`,
      );
    }
    const earlier = fields.get(field);
    if (earlier !== undefined)
      invalid('field', `"${field}" is already the field of relation "${earlier}"; one property refers to one record`);
    fields.set(field, reference.name);
    if (reference.onDelete === 'setNull' && required.includes(field)) {
      invalid('onDelete', `setNull removes "${field}", which the schema requires; make it optional, or use restrict or cascade`);
    }
  }
  return issues;
}
