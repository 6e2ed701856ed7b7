import { parseArgs } from 'node:util';
import { consoleLogger } from '../log.ts';
import { listen } from '../server/listen.ts';
import { projectConfig, projectOptions, UsageError } from './options.ts';

export const serveUsage = 'council serve [--config FILE] [--automations DIR] [--port N] [--data DIR]';

/** Serves every valid manifest; invalid ones are reported and skipped. */
export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...projectOptions, port: { type: 'string' } } });
  const config = projectConfig(values);
  const portText = values.port ?? process.env.PORT;
  const port = portText === undefined ? config.server.port : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be an integer from 0 to 65535, got "${portText}"`);
  const server = await listen({ ...config, server: { ...config.server, port } }, consoleLogger);
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
