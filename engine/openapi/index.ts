export { buildOpenApi, type OpenApiOptions } from './document.ts';
export { decodeSegment, localRefSegments, mapSchemaRefs } from './refs.ts';
