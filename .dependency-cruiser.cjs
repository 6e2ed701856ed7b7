/**
 * The engine's layers, bottom first. A module may import its own layer's folder and the
 * layers below it, never one above, and never a peer on the same line: data flows one way
 * (see documents/architecture.md, "Layers"). `scripts/check-layers.mjs` runs these rules
 * in `npm run check` (dependency-cruiser's own CLI wants Node 22; its API runs on 20).
 *
 * A new engine folder must be given a line here before it may import anything.
 */
const LAYERS = [
  ['engine/errors', 'engine/(log|meta-schemas|package-file)\\.ts'],
  ['engine/observe'],
  ['engine/source'],
  ['engine/schema'],
  ['engine/config'],
  ['engine/manifest'],
  ['engine/compile'],
  ['engine/request'],
  ['engine/registry'],
  ['engine/security'],
  ['engine/analytics'],
  ['engine/fleet'],
  ['engine/http'],
  ['engine/openapi'],
  ['engine/types', 'engine/mcp'],
  ['engine/reload'],
  ['engine/console'],
  ['engine/server'],
  ['engine/testing', 'engine/review'],
  ['engine/cli'],
];

/**
 * Folders under adapters/ that are no backend but code several backends share (the query
 * DSL, mapping and record store of OpenSearch and Elasticsearch): a backend may import
 * them, and they, like a backend, import only the contract (adapters/*.ts).
 */
const SHARED_ADAPTER_FOLDERS = ['search-dsl'];

/** `engine/x` is a folder, `engine/x\.ts` a root file. */
const pattern = (entry) => (entry.endsWith('\\.ts') ? `^${entry}$` : `^${entry}/`);
const anyOf = (entries) => entries.map(pattern).join('|');

const upward = LAYERS.flatMap((line, rank) => {
  const above = LAYERS.slice(rank + 1).flat();
  const rules = [];
  if (above.length > 0) {
    rules.push({
      name: 'upward-import',
      comment: `${line.join(', ')} sit below ${above.join(', ')}: import downward only`,
      severity: 'error',
      from: { path: anyOf(line) },
      to: { path: anyOf(above) },
    });
  }
  for (const entry of line) {
    const peers = line.filter((other) => other !== entry);
    if (peers.length === 0) continue;
    rules.push({
      name: 'peer-import',
      comment: `${entry} and ${peers.join(', ')} are on one layer: neither imports the other`,
      severity: 'error',
      from: { path: pattern(entry) },
      to: { path: anyOf(peers) },
    });
  }
  return rules;
});

module.exports = {
  LAYERS,
  forbidden: [
    ...upward,
    {
      name: 'engine-folder-without-layer',
      comment: 'every engine folder has a line in LAYERS (.dependency-cruiser.cjs)',
      severity: 'error',
      from: { path: '^engine/', pathNot: anyOf(LAYERS.flat()) },
      to: {},
    },
    {
      name: 'adapters-import-engine',
      comment: 'adapters sit below the whole engine',
      severity: 'error',
      from: { path: '^adapters/' },
      to: { path: '^engine/' },
    },
    {
      name: 'backend-imports-table',
      comment: 'a backend folder imports the contract (adapters/*.ts), not the table that loads it',
      severity: 'error',
      from: { path: '^adapters/[^/]+/' },
      to: { path: '^adapters/(index|capabilities|backends)\\.ts$' },
    },
    {
      name: 'backend-imports-backend',
      comment: `backend folders do not import each other (the shared folders ${SHARED_ADAPTER_FOLDERS.join(', ')} aside)`,
      severity: 'error',
      from: { path: '^adapters/([^/]+)/' },
      to: { path: '^adapters/[^/]+/', pathNot: `^adapters/($1|${SHARED_ADAPTER_FOLDERS.join('|')})/` },
    },
    {
      name: 'no-circular',
      comment: 'no module imports one that imports it back (type-only imports aside: they vanish at run time)',
      severity: 'error',
      from: { path: '^(engine|adapters)/' },
      to: { circular: true, dependencyTypesNot: ['type-only'], viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
  },
};
