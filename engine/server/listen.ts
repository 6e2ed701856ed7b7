import { type ServerType, serve } from '@hono/node-server';
import type { CouncilConfig } from '../config/config.ts';
import type { Logger } from '../log.ts';
import { type Engine, startEngine } from './engine.ts';

export interface RunningServer {
  readonly engine: Engine;
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the engine and listens on `config.server` (port 0 picks a free port). */
export async function listen(config: CouncilConfig, logger: Logger): Promise<RunningServer> {
  const engine = await startEngine(config, logger);
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: engine.fetch, port: config.server.port, hostname: config.server.host }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? 'localhost' : config.server.host;
  return {
    engine,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine.close();
    },
  };
}
