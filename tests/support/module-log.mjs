// Module hooks (node:module register) that append every URL this process resolves to the
// file given as `data`, one a line: what a child process loaded, for tests/lazy-drivers.test.ts.
import { appendFileSync } from 'node:fs';

let file;

export function initialize(data) {
  file = data;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(file, `${resolved.url}\n`);
  return resolved;
}
