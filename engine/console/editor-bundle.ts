import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The YAML editor's script (editor/yaml-editor.ts with CodeMirror, from the installed
 * packages), bundled by esbuild the first time a page asks for it and kept: one file the
 * page loads from this server, no CDN, nothing to build by hand. esbuild (the bundler tsx
 * already runs on) is loaded only then; a server whose console never opens an editor never
 * loads it. From the TypeScript source when the engine runs from it, else from its build.
 */
const entry = fileURLToPath(new URL(`./editor/yaml-editor.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));

let bundled: Promise<string> | undefined;

export function editorBundle(): Promise<string> {
  bundled ??= import('esbuild')
    .then(({ build }) =>
      build({
        entryPoints: [entry],
        bundle: true,
        minify: true,
        format: 'iife',
        target: 'es2020',
        write: false,
        legalComments: 'none',
        logLevel: 'silent',
      }),
    )
    .then((result) => result.outputFiles[0]?.text ?? '');
  bundled.catch(() => {
    bundled = undefined;
  });
  return bundled;
}

/** A version for the script's URL: its sources (every file of editor/) and the installed CodeMirror packages' versions. */
const sources = readdirSync(dirname(entry))
  .sort()
  .map((name) => readFileSync(join(dirname(entry), name)));
export const EDITOR_VERSION = createHash('sha256')
  .update(Buffer.concat(sources))
  .update(
    ['codemirror', '@codemirror/autocomplete', '@codemirror/lang-yaml', '@codemirror/lint', '@codemirror/state']
      .map((name) => packageVersion(name))
      .join(),
  )
  .digest('hex')
  .slice(0, 12);

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(fileURLToPath(import.meta.resolve(`${name}/package.json`)), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}
