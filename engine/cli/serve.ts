import { isAbsolute, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import type { Logger } from '../log.ts';
import { isDirectory, manifestFiles } from '../manifest/files.ts';
import { placement } from '../registry/connections.ts';
import type { Engine } from '../server/engine.ts';
import { ListenError, listen } from '../server/listen.ts';
import { formatIssue } from '../source/issues.ts';
import { serveFlags } from './flags.ts';
import { createLogger, logSettings } from './logger.ts';
import { projectConfig, UsageError } from './options.ts';

/** Serves every valid manifest; invalid ones are reported and skipped. */
export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: serveFlags });
  // On stdout, where a container platform collects it, beside the start-up list (documents/operations.md, "Logs").
  const logger = createLogger(logSettings(process.env, process.stdout.isTTY === true));
  const config = projectConfig(values);
  // An empty PORT counts as unset, as `${PORT:-8080}` does in the config.
  const [portText, portSource] = values.port !== undefined ? [values.port, '--port'] : [process.env.PORT || undefined, 'PORT'];
  const port = portText === undefined ? config.server.port : /^\d+$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`${portSource} must be an integer from 0 to 65535, got "${portText}"`);
  const watch = values['no-watch'] ? false : {};
  // Production never serves a redis/mongodb/opensearch/elasticsearch/dynamodb automation from memory, nor nothing at all, by accident.
  const strict = values.strict === true || process.env.NODE_ENV === 'production';
  const empty = nothingToServe(config.automations);
  if (empty && strict) {
    console.error(`council serve: ${empty.reason}: nothing to serve, and --strict refuses to start so; ${empty.fix}`);
    return 1;
  }
  // A folder that exists is watched: a manifest saved into it serves at once.
  const then = empty?.missing ? '' : watch ? ': it is served as soon as it is saved' : ', then send SIGHUP';
  const nothing = empty && `${empty.reason}: nothing to serve; ${empty.fix}${then}`;
  if (nothing) logger.warn(nothing);
  // Until the server is up, a signal just ends the process (exit handlers release the data
  // directory); once it is up, a signal stops it gracefully. One listener throughout: with
  // none between the two, for an instant, Node restores the default action, and a SIGTERM
  // sent as soon as the start-up lines appeared killed the process outright.
  let up = false;
  let stopRequested: (signal: NodeJS.Signals) => void = () => {};
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    stopRequested = resolve;
  });
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // A second signal while it drains: the operator wants it gone now.
    if (!up || signalled) {
      if (signalled) logger.warn(`${signal} again: exiting at once, without waiting for requests in flight`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    signalled = true;
    stopRequested(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const commandLine = portText === undefined ? config.commandLine : [...(config.commandLine ?? []), 'server.port' as const];
  const server = await listen({ ...config, server: { ...config.server, port }, ...(commandLine ? { commandLine } : {}) }, logger, {
    watch,
    strict,
  }).catch((error) => {
    if (!(error instanceof ListenError)) throw error;
    console.error(`council serve: ${error.message}`);
    return undefined;
  });
  if (!server) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    return 1;
  }
  up = true;
  const serving = server.engine.registry.serving();
  const failed = server.engine.registry.failures();
  console.log(`theCouncil serving ${serving.length} automation(s) at ${server.url}`);
  for (const m of serving)
    console.log(`  ${server.url}${m.plan.basePath}  (${where(server.engine, m.plan.storage.connection)}; ${shortPath(m.plan.file)})`);
  if (nothing) console.log(`  warning: ${nothing}`);
  if (failed.length) console.log(`  ${failed.length} manifest(s) skipped; see the errors above and ${server.url}/health`);
  console.log(`  OpenAPI: ${server.url}/openapi.json   docs: ${server.url}/docs   MCP: ${server.url}/mcp   health: ${server.url}/health`);
  console.log(`  console: ${server.url}/console (council users create --email EMAIL --role admin makes its first user)`);
  const key = server.engine.bootstrapKey;
  if (key) {
    // Printed here once, on the terminal, never through the logger: it is a secret.
    console.log('\n  First start: an admin API key was created (scope *). It is shown only now; store it safely:');
    console.log(`    ${key}`);
    console.log(`  Send it as: curl -H 'Authorization: Bearer ${key.slice(0, 7)}…' ${server.url}/...`);
    console.log('  Create narrower keys with `council keys create --name NAME --scopes SCOPE[,SCOPE]`; revoke this one when done.\n');
  }
  console.log(`  ${watch ? 'watching for changes' : 'not watching (--no-watch)'}; SIGHUP reloads everything`);
  // SIGHUP re-reads the config and rebuilds every automation, changed or not (a store that is back, a file edited unseen).
  let closing = false;
  const hangup = () => {
    if (!closing) void fullReload(server.engine, values.config as string | undefined, logger);
  };
  process.on('SIGHUP', hangup);
  const signal = await stopped;
  // The listener stays, ignoring: without one, a SIGHUP while the server closes (waiting for
  // requests in flight) would end the process by the signal's default action.
  closing = true;
  // SIGTERM is how an orchestrator stops an instance: it keeps serving while the load
  // balancer notices /readyz; SIGINT is a person at the terminal, who wants it stopped.
  const { shutdownGraceSeconds, shutdownTimeoutSeconds } = server.engine.config.server;
  const graceMs = signal === 'SIGTERM' ? shutdownGraceSeconds * 1000 : 0;
  logger.info(
    graceMs
      ? `${signal}: not ready (/readyz 503); serving ${shutdownGraceSeconds} s more (server.shutdownGraceSeconds), then finishing requests in flight`
      : `${signal}: finishing requests in flight, then exiting`,
  );
  await server.close({ graceMs, timeoutMs: shutdownTimeoutSeconds * 1000 });
  return 0;
}

/** Why there is nothing to serve (no folder, or no manifest in it) and the fix, or undefined when there are manifests. */
function nothingToServe(folder: string): { reason: string; fix: string; missing: boolean } | undefined {
  const shown = shortPath(folder);
  if (!isDirectory(folder)) {
    const fix = 'point --automations (or automations: in the config) at your manifests, or create one with council new NAME and restart';
    return { reason: `no automations folder at ${shown}`, fix, missing: true };
  }
  if (manifestFiles([folder]).length > 0) return undefined;
  return { reason: `no manifest (*.yaml, *.yml) in ${shown}`, fix: 'add one (council new NAME writes one)', missing: false };
}

/** Where an automation's records live: `mongodb → memory: MONGODB_URL not set, lost on restart`. */
function where(engine: Engine, connection: string): string {
  const settings = engine.config.connections.get(connection);
  return settings ? placement(settings, shortPath(engine.config.dataDir)) : connection;
}

/** Relative to the working directory when inside it, as people type paths. */
function shortPath(path: string): string {
  const near = relative(process.cwd(), path);
  return near && !near.startsWith('..') && !isAbsolute(near) ? near : path;
}

async function fullReload(engine: Engine, configFile: string | undefined, logger: Logger): Promise<void> {
  logger.info('SIGHUP: reloading the config and every automation');
  if (engine.config.file) {
    const { config, issues } = loadConfig(configFile ?? engine.config.file);
    for (const issue of issues) logger.error(formatIssue(issue));
    if (config) await engine.reloader.reconfigure(config);
  }
  await engine.reloader.reloadAll({ force: true, trigger: 'SIGHUP' });
}
