import { compileAutomation } from '../compile/compile.ts';
import type { CouncilConfig } from '../config/config.ts';
import { connectionBackends } from '../config/load.ts';
import type { Logger } from '../log.ts';
import { formatIssue, type ManifestIssue } from '../manifest/issues.ts';
import { loadManifests } from '../manifest/load.ts';
import { bindAutomation } from '../registry/bind.ts';
import { ConnectionPool } from '../registry/connections.ts';
import { AutomationRegistry } from '../registry/registry.ts';
import { createFetch } from './fetch.ts';

export interface Engine {
  readonly config: CouncilConfig;
  readonly registry: AutomationRegistry;
  readonly connections: ConnectionPool;
  /** The whole HTTP surface as a fetch handler (engine routes + every automation). */
  readonly fetch: (request: Request) => Response | Promise<Response>;
  close(): Promise<void>;
}

/**
 * Loads every manifest, compiles the valid ones and binds them to their stores. An
 * invalid manifest, or one whose store cannot be prepared, is reported and skipped;
 * the others serve.
 */
export async function startEngine(config: CouncilConfig, logger: Logger): Promise<Engine> {
  const registry = new AutomationRegistry();
  const connections = new ConnectionPool(config.connections, config.dataDir);
  const loaded = loadManifests([config.automations], connectionBackends(config));
  recordIssues(registry, loaded.issues, logger);
  const options = { bodyLimit: config.server.bodyLimit, logger };
  await Promise.all(
    loaded.manifests.map(async (manifest) => {
      const { name, storage } = manifest.manifest;
      let step = 'compile';
      try {
        const plan = compileAutomation(manifest, { pagination: config.pagination });
        step = 'bind';
        registry.mount(await bindAutomation(plan, connections, options));
        logger.info('automation loaded', { name, file: plan.file, backend: plan.storage.backend });
      } catch (error) {
        const reason = (error as Error).message;
        const message =
          step === 'compile'
            ? `${manifest.file}:1:1: could not be compiled: ${reason}`
            : `${manifest.file}:1:1: storage "${storage.connection ?? storage.backend}" could not be prepared: ${reason}`;
        logger.error(message);
        registry.recordFailure({
          file: manifest.file,
          name,
          state: step === 'compile' ? 'invalid' : 'unavailable',
          errors: [message],
          issues: [],
        });
      }
    }),
  );
  const fetch = createFetch(registry, connections, config, logger);
  return { config, registry, connections, fetch, close: () => connections.closeAll() };
}

function recordIssues(registry: AutomationRegistry, issues: readonly ManifestIssue[], logger: Logger): void {
  const byFile = new Map<string, ManifestIssue[]>();
  for (const issue of issues) byFile.set(issue.file, [...(byFile.get(issue.file) ?? []), issue]);
  for (const [file, fileIssues] of byFile) {
    for (const issue of fileIssues) (issue.severity === 'error' ? logger.error : logger.warn)(formatIssue(issue));
    if (!fileIssues.some((i) => i.severity === 'error')) continue;
    registry.recordFailure({ file, state: 'invalid', errors: fileIssues.map((i) => formatIssue(i)), issues: fileIssues });
  }
}
