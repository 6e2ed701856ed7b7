export { buildOpenApi, type OpenApiOptions } from './document.ts';
export { mapSchemaRefs, localRefSegments } from './refs.ts';
