import { parseArgs } from 'node:util';
import { consoleLogger } from '../log.ts';
import { ListenError, listen } from '../server/listen.ts';
import { projectConfig, projectOptions, UsageError } from './options.ts';

export const serveUsage = 'council serve [--config FILE] [--automations DIR] [--port N] [--data DIR]';

/** Serves every valid manifest; invalid ones are reported and skipped. */
export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...projectOptions, data: { type: 'string' }, port: { type: 'string' } } });
  const config = projectConfig(values);
  // An empty PORT counts as unset, as `${PORT:-8080}` does in the config.
  const [portText, portSource] = values.port !== undefined ? [values.port, '--port'] : [process.env.PORT || undefined, 'PORT'];
  const port = portText === undefined ? config.server.port : /^\d+$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`${portSource} must be an integer from 0 to 65535, got "${portText}"`);
  const server = await listen({ ...config, server: { ...config.server, port } }, consoleLogger).catch((error) => {
    if (!(error instanceof ListenError)) throw error;
    console.error(`council serve: ${error.message}`);
    return undefined;
  });
  if (!server) return 1;
  const serving = server.engine.registry.serving();
  const failed = server.engine.registry.failures();
  console.log(`theCouncil serving ${serving.length} automation(s) at ${server.url}`);
  for (const m of serving) console.log(`  ${server.url}${m.plan.basePath}  (${m.plan.storage.backend}, ${m.plan.file})`);
  if (failed.length) console.log(`  ${failed.length} manifest(s) skipped; see the errors above and ${server.url}/health`);
  console.log(`  OpenAPI: ${server.url}/openapi.json   health: ${server.url}/health`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
