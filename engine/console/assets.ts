import { createHash } from 'node:crypto';
import { CONSOLE_CSS } from './console-css.ts';
import { CONSOLE_JS } from './console-js.ts';

/** The console's own files, by name; each URL carries its content hash, so a browser may keep it for a year. */
const FILES: Readonly<Record<string, { body: string; type: string }>> = {
  'console.css': { body: CONSOLE_CSS, type: 'text/css; charset=utf-8' },
  'console.js': { body: CONSOLE_JS, type: 'text/javascript; charset=utf-8' },
};

const VERSIONS = Object.fromEntries(
  Object.entries(FILES).map(([name, file]) => [name, createHash('sha256').update(file.body).digest('hex').slice(0, 12)]),
);

/** `/console/assets/console.css?v=1a2b…`: the URL a page links. */
export function assetHref(name: keyof typeof FILES & string): string {
  return `/console/assets/${name}?v=${VERSIONS[name]}`;
}

/** The file of an asset's name, or undefined. */
export function assetFile(name: string): { body: string; type: string } | undefined {
  return Object.hasOwn(FILES, name) ? FILES[name] : undefined;
}
