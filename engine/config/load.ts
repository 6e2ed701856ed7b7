import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar } from 'yaml';
import { backendsWith, capabilities } from '../../adapters/capabilities.ts';
import type { ConnectionSettings } from '../../adapters/types.ts';
import { metaSchemaValidator } from '../meta-schemas.ts';
import { ajvErrorsToIssues } from '../source/ajv-issues.ts';
import type { ManifestIssue } from '../source/issues.ts';
import { issueAt, parseSource, type SourceFile, sourceValue } from '../source/source.ts';
import { type ConfiguredConnection, type CouncilConfig, DEFAULT_CONNECTIONS } from './config.ts';
import { firstVariable, interpolateEnv } from './interpolate.ts';

export interface ConfigResult {
  readonly config?: CouncilConfig;
  readonly issues: ManifestIssue[];
}

/**
 * Loads council.config.yaml. Without a file (none at the default path), built-in
 * defaults apply so that `council validate` works in any folder.
 */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const path = resolve(file ?? 'council.config.yaml');
  if (!existsSync(path)) {
    if (file !== undefined) {
      return {
        issues: [{ code: 'file-unreadable', severity: 'error', file, line: 1, col: 1, pointer: '', message: 'config file not found' }],
      };
    }
    return fromValue(undefined, process.cwd(), { connections: DEFAULT_CONNECTIONS });
  }
  const name = file ?? 'council.config.yaml';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    // A directory or a file without read permission: report it like a missing file, never throw.
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    return {
      issues: [
        {
          code: 'file-unreadable',
          severity: 'error',
          file: name,
          line: 1,
          col: 1,
          pointer: '',
          message: `cannot read config file (${reason})`,
        },
      ],
    };
  }
  const { source, issues } = parseSource(name, text);
  if (issues.length) return { issues };
  const urlVariables = connectionUrlVariables(source);
  const envIssues = interpolateEnv(source, env);
  if (envIssues.length) return { issues: envIssues };
  return fromValue(source, dirname(path), sourceValue(source) ?? {}, path, urlVariables);
}

/** Which environment variable each connection's url reads, taken before interpolation replaces it. */
function connectionUrlVariables(source: SourceFile): Map<string, string> {
  const found = new Map<string, string>();
  const connections = source.doc.get('connections');
  if (!isMap(connections)) return found;
  for (const pair of connections.items) {
    const url = isMap(pair.value) ? pair.value.get('url', true) : undefined;
    const variable = isScalar(url) && typeof url.value === 'string' ? firstVariable(url.value) : undefined;
    if (isScalar(pair.key) && variable) found.set(String(pair.key.value), variable);
  }
  return found;
}

function fromValue(
  source: SourceFile | undefined,
  root: string,
  value: unknown,
  path?: string,
  urlVariables: ReadonlyMap<string, string> = new Map(),
): ConfigResult {
  const validate = metaSchemaValidator('config');
  if (!validate(value)) {
    return { issues: source ? ajvErrorsToIssues(source, validate.errors, 'config-invalid') : [] };
  }
  const raw = value as {
    server: CouncilConfig['server'];
    pagination: CouncilConfig['pagination'];
    audit: CouncilConfig['audit'];
    metrics: CouncilConfig['metrics'];
    analytics: CouncilConfig['analytics'];
    fleet: NonNullable<CouncilConfig['fleet']>;
    console: CouncilConfig['console'];
    gpt: CouncilConfig['gpt'];
    idempotency: CouncilConfig['idempotency'];
    rateLimit: CouncilConfig['rateLimit'];
    automations: string;
    dataDir: string;
    connections: Record<string, Omit<ConnectionSettings, 'name'>>;
  };
  const { defaultLimit, maxLimit } = raw.pagination;
  if (source && defaultLimit > maxLimit) {
    const message = `defaultLimit (${defaultLimit}) is above maxLimit (${maxLimit}); lower defaultLimit or raise maxLimit`;
    return { issues: [issueAt(source, ['pagination', 'defaultLimit'], 'config-invalid', message)] };
  }
  // The built-in connections stay available unless the file redefines them by name.
  const all = { ...DEFAULT_CONNECTIONS, ...raw.connections };
  const connections = new Map(
    Object.entries(all).map(([name, c]): [string, ConfiguredConnection] => {
      const urlVariable = urlVariables.get(name);
      return [name, { ...c, name, ...(urlVariable ? { urlVariable } : {}) }];
    }),
  );
  const store = raw.rateLimit.store;
  const storeBackend = store === undefined ? undefined : connections.get(store)?.backend;
  if (source && store !== undefined && !(storeBackend && capabilities[storeBackend]?.sharedCounters)) {
    const message = `rateLimit.store must name a ${backendsWith((can) => can.sharedCounters === true)} connection; "${store}" is ${connections.has(store) ? `a ${connections.get(store)?.backend} connection` : 'not defined under connections'}`;
    return { issues: [issueAt(source, ['rateLimit', 'store'], 'config-invalid', message)] };
  }
  const keys = raw.idempotency.store;
  if (source && keys !== undefined && !connections.has(keys)) {
    const message = `idempotency.store "${keys}" is not defined under connections (defined: ${[...connections.keys()].join(', ')})`;
    return { issues: [issueAt(source, ['idempotency', 'store'], 'config-invalid', message)] };
  }
  if (source && raw.server.metricsPort !== undefined && !raw.metrics.enabled) {
    const message = 'server.metricsPort opens a listener for /metrics, but metrics.enabled is false; remove one of the two';
    return { issues: [issueAt(source, ['server', 'metricsPort'], 'config-invalid', message)] };
  }
  if (source && (raw.console.mode === 'push') !== (raw.console.git !== undefined)) {
    const message =
      raw.console.mode === 'push'
        ? 'console.mode: push needs console.git: the branch to push to (the one git-sync follows), and the remote if not origin'
        : `console.git is only for console.mode: push (here ${raw.console.mode}); remove one of the two`;
    return { issues: [issueAt(source, ['console', raw.console.mode === 'push' ? 'mode' : 'git'], 'config-invalid', message)] };
  }
  const publicUrl = raw.server.publicUrl || undefined;
  const config: CouncilConfig = {
    file: path,
    server: { ...raw.server, ...(publicUrl ? { publicUrl } : {}) },
    pagination: raw.pagination,
    audit: raw.audit,
    metrics: raw.metrics,
    analytics: raw.analytics,
    fleet: raw.fleet,
    console: raw.console,
    gpt: raw.gpt,
    idempotency: raw.idempotency,
    rateLimit: raw.rateLimit,
    automations: resolve(root, raw.automations),
    dataDir: resolve(root, raw.dataDir),
    connections,
  };
  return { config, issues: [] };
}

/** Connection name -> backend, what manifest checks need to know about connections. */
export function connectionBackends(config: CouncilConfig): Map<string, string> {
  return new Map([...config.connections].map(([name, c]) => [name, c.backend]));
}
