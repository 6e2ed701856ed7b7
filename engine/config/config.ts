import { backendNames, runsInProcess } from '../../adapters/index.ts';
import type { ConnectionSettings } from '../../adapters/types.ts';
import type { ConfigFile } from '../schema/generated/config.ts';

/** council.config.yaml after interpolation, validation and defaults; paths are absolute. */
export interface CouncilConfig {
  /** The config file, or undefined when running on built-in defaults. */
  readonly file: string | undefined;
  readonly server: {
    readonly port: number;
    readonly host: string;
    readonly publicUrl?: string;
    readonly bodyLimit: number;
    /** Longest a request waits for its store before a 504. */
    readonly requestTimeoutSeconds: number;
    /** On SIGTERM: seconds of serving while not ready, before connections stop being taken. */
    readonly shutdownGraceSeconds: number;
    /** Then: longest wait for requests in flight before their connections are closed anyway. */
    readonly shutdownTimeoutSeconds: number;
    /** Reverse proxies whose X-Forwarded-For is believed (read from the right). */
    readonly trustedProxies: readonly string[];
    /** Exact web origins allowed to call from a browser; empty: CORS off. */
    readonly corsOrigins: readonly string[];
    /** A listener of its own for /metrics without a key (loopback unless `metricsHost` says otherwise). */
    readonly metricsPort?: number;
    readonly metricsHost: string;
    /** One info line per automation request. */
    readonly accessLog: boolean;
  };
  readonly pagination: {
    readonly defaultLimit: number;
    readonly maxLimit: number;
    readonly maxResponseChars: number;
    readonly maxBatch: number;
  };
  readonly audit: { readonly enabled: boolean };
  /** Counting for /metrics (requests, store calls); read at start only. */
  readonly metrics: { readonly enabled: boolean };
  /**
   * The web console: `readonly` writes nothing (GitOps), every edit ends in a diff; `push`
   * commits each save and pushes it to `git` (the fleet's git-sync brings it back); `auto` is
   * readonly under git-sync.
   */
  readonly console: { readonly mode: 'auto' | 'write' | 'readonly' | 'push'; readonly git?: ConsoleGit };
  /** Usage analytics: written every `flushSeconds`, kept `retentionDays`. */
  readonly analytics: { readonly enabled: boolean; readonly flushSeconds: number; readonly retentionDays: number };
  /** Instances sharing a system store on a server: how often each tells the others what it serves. Absent: every 5 s. */
  readonly fleet?: { readonly heartbeatSeconds: number };
  /** Idempotency-Key: how long keys are remembered, and on which connection (default: the system store). */
  readonly idempotency: { readonly windowSeconds: number; readonly store?: string };
  /** How generated documents present the API to models. */
  readonly gpt: { readonly consequentialWrites: boolean };
  /** Per client and automation, unless a manifest sets its own. */
  readonly rateLimit: {
    readonly requests: number;
    readonly perSeconds: number;
    readonly store?: string;
    /** Longest a request waits for the shared limiter's Redis before it is decided in process (default 20). */
    readonly timeoutMs?: number;
  };
  readonly automations: string;
  readonly dataDir: string;
  readonly connections: ReadonlyMap<string, ConfiguredConnection>;
  /**
   * Settings the command line gave (`--automations`, `--data`, `--port` or `PORT`): the
   * file's value of each is ignored while the process runs, so a reload never reports it
   * as changed.
   */
  readonly commandLine?: readonly CommandLineSetting[];
}

export type CommandLineSetting = 'automations' | 'dataDir' | 'server.port';

/** Where `console.mode: push` sends a save: a remote's name or URL (maybe with credentials: never shown), and its branch. */
export interface ConsoleGit {
  readonly remote: string;
  readonly branch: string;
}

/** A connection as the config defines it. */
export interface ConfiguredConnection extends ConnectionSettings {
  /** The environment variable its url is read from (`url: ${MONGODB_URL:-}`), for messages: never its value. */
  readonly urlVariable?: string;
}

/**
 * Connections every project has unless its config says otherwise: one per backend, named
 * after it, with an empty url (embedded, or memory standing in), those that run in process
 * last and without one.
 */
export const DEFAULT_CONNECTIONS: Readonly<Record<string, { readonly backend: string; readonly url?: string }>> = Object.fromEntries(
  [...backendNames.filter((name) => !runsInProcess(name)), ...backendNames.filter(runsInProcess)].map((backend) => [
    backend,
    runsInProcess(backend) ? { backend } : { backend, url: '' },
  ]),
);

/** Compiles only when `T` is `true`. */
type Holds<T extends true> = T;
/** Whether two sets of property names are the same. */
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : false;

/**
 * `CouncilConfig` is the config file after defaults (written by hand: `file` is where it came
 * from, `commandLine` what the command line set instead, `connections` a Map); `tsc` fails here when it and the meta-schema name different
 * sections, or different settings in a section.
 */
export type ConfigAgreesWithMetaSchema = [
  Holds<SameKeys<Required<ConfigFile>, Omit<CouncilConfig, 'file' | 'commandLine'>>>,
  Holds<SameKeys<Required<ConfigFile>['server'], CouncilConfig['server']>>,
  Holds<SameKeys<Required<ConfigFile>['pagination'], CouncilConfig['pagination']>>,
  Holds<SameKeys<Required<ConfigFile>['rateLimit'], CouncilConfig['rateLimit']>>,
  Holds<SameKeys<Required<ConfigFile>['idempotency'], CouncilConfig['idempotency']>>,
  Holds<SameKeys<Required<ConfigFile>['console'], CouncilConfig['console']>>,
  Holds<SameKeys<NonNullable<Required<ConfigFile>['console']['git']>, ConsoleGit>>,
];
