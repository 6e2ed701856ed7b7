/** The operations a manifest endpoint may declare. */
export type Operation = 'list' | 'get' | 'create' | 'update' | 'replace' | 'delete' | 'search' | 'batch' | 'upsert';

/** A JSON Schema object as found in a manifest (already `$ref`-resolved at the top level). */
export type JsonSchema = Record<string, unknown>;

/** Fields the engine manages on every record; manifests may not declare them. */
export const ENGINE_FIELDS = ['id', 'createdAt', 'updatedAt'] as const;
