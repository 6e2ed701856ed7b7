import { locate, parseSource } from '../source/source.ts';

/**
 * The line of a manifest text where the endpoint of `operation` is declared (its
 * `operation:`), for a link from a failing endpoint to the YAML that makes it; undefined
 * when the text declares none (a 404 or 405 under the automation, `unmatched`).
 */
export function endpointLine(file: string, text: string, operation: string): number | undefined {
  const { source, value } = parseSource(file, text);
  const endpoints = (value as { endpoints?: unknown } | null)?.endpoints;
  if (!Array.isArray(endpoints)) return undefined;
  const index = endpoints.findIndex((e) => (e as { operation?: unknown } | null)?.operation === operation);
  return index < 0 ? undefined : locate(source, ['endpoints', index, 'operation']).line;
}
