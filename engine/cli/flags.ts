import { backendNames } from '../../adapters/index.ts';

/**
 * One command-line option: what `parseArgs` needs (`type`, `short`), the placeholder of
 * its value in usage lines, and the sentence `--help` shows. Every option of every
 * command is described here, once; usage lines, `council help COMMAND` and the checks
 * that answer a typo with a suggestion are all made from these tables.
 */
export interface Flag {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** How the value appears in usage lines: `FILE`, `N`, `gpt`. */
  readonly value?: string;
  readonly description: string;
}

const config = {
  type: 'string',
  value: 'FILE',
  description: 'The config file. Default: council.config.yaml in the working directory, or built-in defaults when there is none.',
} as const satisfies Flag;
const automations = {
  type: 'string',
  value: 'DIR',
  description: "The manifest folder, instead of the config's `automations` (relative to the working directory).",
} as const satisfies Flag;
const data = {
  type: 'string',
  value: 'DIR',
  description: "Where embedded stores (PGlite) keep their files, instead of the config's `dataDir` (relative to the working directory).",
} as const satisfies Flag;
const help = { type: 'boolean', short: 'h', description: 'Print this help and exit.' } as const satisfies Flag;

/** What every command that reads the project accepts. */
export const projectFlags = { config, automations, help } as const;

export const serveFlags = {
  port: {
    type: 'string',
    value: 'N',
    description: 'The port, 0 to 65535 (0: any free one). Wins over PORT, which wins over server.port in the config.',
  },
  'no-watch': { type: 'boolean', description: 'Do not watch files; changes apply on SIGHUP or a restart.' },
  strict: {
    type: 'boolean',
    description:
      'Refuse what a production server must not do quietly: serve a redis, mongodb, opensearch, elasticsearch or dynamodb automation from memory (its connection has no url), or start with no manifest to serve. On by default when NODE_ENV=production.',
  },
  ...projectFlags,
  data,
} as const;

export const validateFlags = {
  profile: {
    type: 'string',
    value: 'gpt',
    description:
      'Hold each automation to the GPT Actions limits, and its MCP tools to what Claude, Gemini and OpenAI accept, as errors rather than warnings (for CI).',
  },
  'no-store': {
    type: 'boolean',
    description: 'Check the manifests only; do not ask any store what it would refuse (otherwise asked when it answers within seconds).',
  },
  format: {
    type: 'string',
    value: 'human|json|github|sarif',
    description:
      'How issues are written: human (FILE:LINE:COL with the line and a caret, on stderr; the default), json (one document on stdout), github (annotations on the pull request, from GitHub Actions), sarif (SARIF 2.1.0 for code scanning). With json and sarif only the document goes to stdout.',
  },
  ...projectFlags,
  data,
} as const;

export const testFlags = {
  url: {
    type: 'string',
    value: 'URL',
    description:
      'Run against a server already running there instead of one started in this process; the API key is read from COUNCIL_API_KEY (never a flag: it would show in process lists).',
  },
  junit: { type: 'string', value: 'FILE', description: 'Also write the results as JUnit XML to FILE.' },
  format: {
    type: 'string',
    value: 'tap|github',
    description: 'tap (the default): TAP 13 on stdout; github: the same, and each failure as an annotation at its line of the test file.',
  },
  watch: { type: 'boolean', description: 'Run again whenever a manifest, a test file or the config changes; stop with Ctrl-C.' },
  fuzz: {
    type: 'boolean',
    description:
      'Instead of the declared tests: requests generated from the OpenAPI document for every operation, valid and invalid; each answer must be documented (never a 5xx), match its schema, and refuse what breaks a rule.',
  },
  seed: { type: 'string', value: 'N', description: 'The fuzzer makes the same requests for the same seed (default: a new one, printed).' },
  budget: { type: 'string', value: 'N', description: 'How many requests the fuzzer sends in all (default 1000).' },
  ...projectFlags,
} as const;

export const diffFlags = {
  base: {
    type: 'string',
    value: 'REF',
    description: 'The revision to compare with (a branch, tag or commit; in CI the target branch, e.g. origin/main). Default: HEAD.',
  },
  format: {
    type: 'string',
    value: 'human|json|github|sarif',
    description:
      'human (the default): a line per change; json: one document on stdout; github: annotations on the pull request (breaking changes as errors, accepted ones as warnings, additive ones as notices); sarif: SARIF 2.1.0 for code scanning. With json and sarif only the document goes to stdout.',
  },
  ...projectFlags,
} as const;

export const openapiFlags = {
  automation: {
    type: 'string',
    value: 'NAME',
    description: "Write that automation's own document (the one a GPT Action imports) instead of the whole API's.",
  },
  out: { type: 'string', value: 'FILE', description: 'Write to FILE instead of stdout.' },
  ...projectFlags,
} as const;

export const typesFlags = {
  out: { type: 'string', value: 'DIR', description: 'The folder to write <name>.ts into. Default: types.' },
  ...projectFlags,
} as const;

export const newFlags = {
  backend: {
    type: 'string',
    value: backendNames.join('|'),
    description: 'The storage backend of the new manifest. Default: postgres.',
  },
  reference: {
    type: 'string',
    value: 'RELATION=AUTOMATION[,...]',
    description:
      'A field RELATIONId holding the id of a record of AUTOMATION, declared under references: (writes check it exists, ?expand=RELATION embeds it, /AUTOMATION/{id}/NAME lists the records that refer to one). E.g. --reference account=accounts.',
  },
  ...projectFlags,
} as const;

export const migrateFlags = {
  'dry-run': { type: 'boolean', description: 'Print what would change, and what would be refused, without changing anything.' },
  ...projectFlags,
  data,
} as const;

export const keysFlags = {
  name: { type: 'string', value: 'NAME', description: 'create: a name for the key, shown by list (e.g. "support GPT").' },
  scopes: {
    type: 'string',
    value: 'SCOPE[,SCOPE]',
    description:
      'create: what the key may do: NAME:read, NAME:write, NAME:delete, NAME:* for an automation NAME, a scope a manifest names, or * for everything.',
  },
  expires: {
    type: 'string',
    value: '30d',
    description: 'create: when the key stops working, in days (30d) or hours (12h). Default: never.',
  },
  note: {
    type: 'string',
    value: 'TEXT',
    description: 'create: what the key is for and who holds it, in a sentence (at most 500 characters); list shows it.',
  },
  ...projectFlags,
  data,
} as const;

/**
 * Not projectFlags: `council users` never reads the manifest folder, and `--can-edit`
 * names automations (not `--automations`, which is that folder everywhere else).
 */
export const usersFlags = {
  email: { type: 'string', value: 'EMAIL', description: "create: the new user's email, which they log in with (stored in lower case)." },
  role: {
    type: 'string',
    value: 'admin|editor|viewer',
    description: 'create: admin (everything, users and keys included), editor (manifests) or viewer (read only).',
  },
  'can-edit': {
    type: 'string',
    value: 'NAME[,NAME]',
    description: 'create, for an editor only: the automations they may edit. Default: all of them.',
  },
  config,
  data,
  help,
} as const;

export const statsFlags = {
  since: { type: 'string', value: '24h|ISO-TIME', description: 'From then until now: 30m, 24h, 7d or an ISO time. Default: 24h.' },
  automation: { type: 'string', value: 'NAME', description: 'Only this automation.' },
  key: { type: 'string', value: 'NAME', description: "Only requests made with this key (its name; 'anonymous': without a key)." },
  ...projectFlags,
  data,
} as const;

export const auditFlags = {
  since: { type: 'string', value: '24h|ISO-TIME', description: 'Only entries since then: 30m, 24h, 7d or an ISO time.' },
  automation: { type: 'string', value: 'NAME', description: 'Only entries about this automation.' },
  limit: { type: 'string', value: 'N', description: 'At most N entries, 1 to 1000. Default: 100.' },
  ...projectFlags,
  data,
} as const;
