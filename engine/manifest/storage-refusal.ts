import { propertiesOf } from '../schema/fields.ts';
import type { ManifestIssue } from '../source/issues.ts';
import { issueAt } from '../source/source.ts';
import type { LoadedManifest } from './manifest.ts';

/**
 * A change the store refused, about one property, as an issue at that property in the
 * manifest (or its schema file); a removed property is no longer there, so `storage:`.
 */
export function storageRefusal(manifest: LoadedManifest, field: string, message: string): ManifestIssue {
  const { source, base } = manifest.schemaAt;
  if (Object.hasOwn(propertiesOf(manifest.schema), field)) {
    return issueAt(source, [...base, 'properties', field], 'storage-change-refused', message, { key: true });
  }
  return issueAt(manifest.source, ['storage'], 'storage-change-refused', message, { key: true });
}
