import type { CouncilConfig } from '../config/config.ts';
import type { Logger } from '../log.ts';
import { ConnectionPool } from '../registry/connections.ts';
import { AutomationRegistry } from '../registry/registry.ts';
import { Reloader } from '../reload/reloader.ts';
import { createFetch } from './fetch.ts';

export interface Engine {
  /** The config in effect (a config reload replaces it). */
  readonly config: CouncilConfig;
  readonly registry: AutomationRegistry;
  readonly connections: ConnectionPool;
  /** Loads, reloads and removes automations; see {@link Reloader}. */
  readonly reloader: Reloader;
  /** The whole HTTP surface as a fetch handler (engine routes + every automation). */
  readonly fetch: (request: Request) => Response | Promise<Response>;
  close(): Promise<void>;
}

/**
 * Loads every manifest, compiles the valid ones and binds them to their stores. An
 * invalid manifest, or one whose store cannot be prepared, is reported and skipped;
 * the others serve. Later changes go through `engine.reloader`.
 */
export async function startEngine(config: CouncilConfig, logger: Logger, options: { strict?: boolean } = {}): Promise<Engine> {
  const registry = new AutomationRegistry();
  const connections = new ConnectionPool(config.connections, config.dataDir, { strict: options.strict ?? false, logger });
  const reloader = new Reloader(config, registry, connections, logger);
  await reloader.reloadAll({ trigger: 'start' });
  const fetch = createFetch(registry, connections, () => reloader.config, logger, reloader);
  return {
    get config() {
      return reloader.config;
    },
    registry,
    connections,
    reloader,
    fetch,
    close: () => connections.closeAll(),
  };
}
