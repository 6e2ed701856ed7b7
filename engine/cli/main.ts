import { closestMatch } from '../errors/did-you-mean.ts';
import { checkArgs } from './check-args.ts';
import { type CommandSpec, commands, usageLine } from './commands.ts';
import { commandHelp, overview, version } from './help.ts';
import { UsageError } from './usage-error.ts';

const [name, ...args] = process.argv.slice(2);
process.exit(await main(name, args));

/** Runs one command; resolves its exit code (0 done, 1 problems found, 2 bad usage). */
async function main(name: string | undefined, args: string[]): Promise<number> {
  if (name === undefined) {
    console.error(overview());
    return 2;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    console.log(version());
    return 0;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const [topic] = args;
    if (topic === undefined) {
      console.log(overview());
      return 0;
    }
    const spec = commands[topic];
    if (!spec) return unknownCommand(topic);
    console.log(commandHelp(topic, spec));
    return 0;
  }
  const spec = commands[name];
  if (!spec) return unknownCommand(name);
  const ours = args.slice(0, args.includes('--') ? args.indexOf('--') : undefined);
  if (ours.includes('--help') || ours.includes('-h')) {
    console.log(commandHelp(name, spec));
    return 0;
  }
  const problem = checkArgs(name, spec, args);
  if (problem) return usageError(name, spec, problem);
  if (name !== 'serve') {
    // Exit handlers run (they release the data directory's lock); serve stops gracefully on its own.
    process.once('SIGINT', () => process.exit(130));
    process.once('SIGTERM', () => process.exit(143));
  }
  try {
    return await (await spec.load())(args);
  } catch (error) {
    if (error instanceof UsageError) return usageError(name, spec, error.message);
    throw error;
  }
}

function unknownCommand(name: string): number {
  if (name.startsWith('-')) {
    console.error(`council: unknown option ${name} before the command; options go after it: council COMMAND [OPTIONS] (see council help)`);
    return 2;
  }
  const close = closestMatch(name, [...Object.keys(commands), 'help']);
  console.error(`council: unknown command "${name}"${close ? ` (did you mean "${close}"?)` : ''}; council help lists the commands`);
  return 2;
}

function usageError(name: string, spec: CommandSpec, message: string): number {
  console.error(`council ${name}: ${message}\nusage: ${usageLine(name, spec)}\ncouncil help ${name} explains each option`);
  return 2;
}
