import { createHash } from 'node:crypto';
import { packageJson } from '../package-file.ts';
import { CONSOLE_CSS } from './console-css.ts';
import { CONSOLE_JS } from './console-js.ts';
import { EDITOR_VERSION, editorBundle } from './editor-bundle.ts';

/** The console's own files, by name; each URL carries its content hash, so a browser may keep it for a year. */
const FILES: Readonly<Record<string, { body: string; type: string }>> = {
  'console.css': { body: CONSOLE_CSS, type: 'text/css; charset=utf-8' },
  'console.js': { body: CONSOLE_JS, type: 'text/javascript; charset=utf-8' },
  // The YAML editor completes keys and values from it.
  'manifest.schema.json': { body: JSON.stringify(packageJson('schemas/manifest.schema.json')), type: 'application/json' },
};

const VERSIONS = Object.fromEntries(
  Object.entries(FILES).map(([name, file]) => [name, createHash('sha256').update(file.body).digest('hex').slice(0, 12)]),
);

/** `/console/assets/console.css?v=1a2b…`: the URL a page links. */
export function assetHref(name: 'console.css' | 'console.js' | 'manifest.schema.json' | typeof EDITOR_SCRIPT): string {
  return `/console/assets/${name}?v=${name === EDITOR_SCRIPT ? EDITOR_VERSION : VERSIONS[name]}`;
}

/** The YAML editor's script: bundled when first asked for (editor-bundle.ts). */
export const EDITOR_SCRIPT = 'yaml-editor.js';

/** The file of an asset's name, or undefined. */
export async function assetFile(name: string): Promise<{ body: string; type: string } | undefined> {
  if (name === EDITOR_SCRIPT) return { body: await editorBundle(), type: 'text/javascript; charset=utf-8' };
  return Object.hasOwn(FILES, name) ? FILES[name] : undefined;
}
