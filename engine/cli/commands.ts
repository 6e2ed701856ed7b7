import {
  auditFlags,
  diffFlags,
  type Flag,
  keysFlags,
  migrateFlags,
  newFlags,
  openapiFlags,
  serveFlags,
  statsFlags,
  testFlags,
  typesFlags,
  usersFlags,
  validateFlags,
} from './flags.ts';

type Run = (args: string[]) => Promise<number>;

/** One `council` command: what help shows, what its command line may hold, and how to load it. */
export interface CommandSpec {
  /** One line for `council help`. */
  readonly summary: string;
  /** Positional arguments as usage lines show them (`NAME`, `[PATH...]`); absent when it takes none. */
  readonly arguments?: string;
  readonly options: Readonly<Record<string, Flag>>;
  /** More lines for `council help COMMAND`, after the options. */
  readonly details?: readonly string[];
  /** Loaded only when the command runs, so `council serve` checks its port before the engine's modules load. */
  readonly load: () => Promise<Run>;
}

/** Every command, in the order `council help` lists them. */
export const commands: Readonly<Record<string, CommandSpec>> = {
  serve: {
    summary: 'Serve every valid manifest over HTTP; apply changes to them without a restart.',
    options: serveFlags,
    details: [
      'One server per data directory: a second one on the same --data exits 1 naming the first (pid and port).',
      'SIGHUP re-reads the config and rebuilds every automation; SIGINT or SIGTERM stops the server.',
    ],
    load: async () => (await import('./serve.ts')).serveCommand,
  },
  validate: {
    summary: 'Check manifests (default: the automations folder) and what their stores would refuse; exit 1 on errors.',
    arguments: '[PATH...]',
    options: validateFlags,
    details: ['PATH may be files or folders (searched for *.yaml and *.yml).'],
    load: async () => (await import('./validate.ts')).validateCommand,
  },
  lint: {
    summary: 'The same as validate.',
    arguments: '[PATH...]',
    options: validateFlags,
    load: async () => (await import('./validate.ts')).validateCommand,
  },
  test: {
    summary: 'Run the tests declared beside the manifests (NAME.test.yaml) against fresh stores; exit 1 on a failure.',
    arguments: '[PATH...]',
    options: testFlags,
    details: [
      'PATH may be test files or folders (searched for *.test.yaml and *.test.yml); default: the automations folder.',
      'Each file runs against its own engine on empty stores (PostgreSQL as embedded PGlite, the rest in memory), unless --url.',
    ],
    load: async () => (await import('./test.ts')).testCommand,
  },
  diff: {
    summary:
      'List what changed in the API since a revision (breaking or additive, and what happens to stored records); exit 1 on a breaking change not accepted.',
    options: diffFlags,
    details: [
      'Builds the API at --base (from git) and in the work tree, and compares the documents and storage of each automation.',
      "A breaking change is accepted when its manifest's version is raised, or when its acceptedChanges lists the change's where with a reason.",
    ],
    load: async () => (await import('./diff.ts')).diffCommand,
  },
  openapi: {
    summary: 'Write the OpenAPI 3.1 document of the valid manifests.',
    options: openapiFlags,
    load: async () => (await import('./openapi.ts')).openapiCommand,
  },
  types: {
    summary: 'Write TypeScript types for each valid manifest.',
    options: typesFlags,
    load: async () => (await import('./types.ts')).typesCommand,
  },
  new: {
    summary: 'Write a commented manifest that validates as written: automations/NAME.yaml.',
    arguments: 'NAME',
    options: newFlags,
    details: ['NAME is lowercase letters, digits and dashes, starting with a letter. An existing file is never overwritten.'],
    load: async () => (await import('./new.ts')).newCommand,
  },
  migrate: {
    summary: "Show (--dry-run) or apply what each automation's store needs for the manifests as they are.",
    options: migrateFlags,
    details: [
      'Changes that would lose stored values run only where storage.migrations allows them; the others are errors (exit 1).',
      'With a server running on the data directory, --dry-run asks that server; applying is left to it (it applies a manifest when it reloads it).',
    ],
    load: async () => (await import('./migrate.ts')).migrateCommand,
  },
  keys: {
    summary: 'Create, list or revoke API keys.',
    arguments: 'create|list|revoke [ID|ck_…]',
    options: keysFlags,
    details: [
      'council keys create --name NAME --scopes SCOPE[,SCOPE] [--expires 30d]   prints the new key once, on stdout',
      'council keys list                                                       one line per key, never the key itself',
      'council keys revoke ID|ck_AbCd…wxyz                                    by id, or by the display list shows',
      'With a server running on the data directory, it goes through that server.',
    ],
    load: async () => (await import('./keys.ts')).keysCommand,
  },
  users: {
    summary: 'Create, list, disable console users, or give one a new one-time password.',
    arguments: 'create|list|disable|reset [EMAIL]',
    options: usersFlags,
    details: [
      'council users create --email EMAIL --role admin|editor|viewer [--automations A,B]   prints a one-time password once, on stdout',
      'council users list            one line per user: email, role, automations, state, last login; never a hash',
      'council users disable EMAIL   the user can no longer log in (kept, so audit entries still name them)',
      'council users reset EMAIL     prints a new one-time password once, on stdout',
      'A one-time password must be changed at first login. With a server running on the data directory, it goes through that server.',
    ],
    load: async () => (await import('./users.ts')).usersCommand,
  },
  audit: {
    summary: 'Print the audit log (who did what), newest first.',
    options: auditFlags,
    details: ['With a server running on the data directory, it goes through that server.'],
    load: async () => (await import('./audit.ts')).auditCommand,
  },
  stats: {
    summary: 'Print usage: requests, errors and latency by automation, operation and key.',
    options: statsFlags,
    details: [
      'With a server running on the data directory, it goes through that server (and includes what it counted in the last seconds).',
    ],
    load: async () => (await import('./stats.ts')).statsCommand,
  },
};

/** `council serve [--port N] ... [--config FILE]`: the arguments, then every option but --help. */
export function usageLine(name: string, spec: CommandSpec): string {
  const options = Object.entries(spec.options)
    .filter(([flag]) => flag !== 'help')
    .map(([flag, o]) => `[--${flag}${o.value ? ` ${o.value}` : ''}]`);
  return ['council', name, ...(spec.arguments ? [spec.arguments] : []), ...options].join(' ');
}
