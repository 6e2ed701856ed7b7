import { auditCommand, auditUsage } from './audit.ts';
import { keysCommand, keysUsage } from './keys.ts';
import { migrateCommand, migrateUsage } from './migrate.ts';
import { newCommand, newUsage } from './new.ts';
import { openapiCommand, openapiUsage } from './openapi.ts';
import { UsageError } from './options.ts';
import { serveCommand, serveUsage } from './serve.ts';
import { typesCommand, typesUsage } from './types.ts';
import { lintUsage, validateCommand, validateUsage } from './validate.ts';

const commands: Record<string, { run: (args: string[]) => Promise<number>; usage: string }> = {
  serve: { run: serveCommand, usage: serveUsage },
  validate: { run: validateCommand, usage: validateUsage },
  lint: { run: validateCommand, usage: lintUsage },
  openapi: { run: openapiCommand, usage: openapiUsage },
  types: { run: typesCommand, usage: typesUsage },
  new: { run: newCommand, usage: newUsage },
  migrate: { run: migrateCommand, usage: migrateUsage },
  keys: { run: keysCommand, usage: keysUsage },
  audit: { run: auditCommand, usage: auditUsage },
};

const usage = `usage:\n${Object.values(commands)
  .map((c) => `  ${c.usage}`)
  .join('\n')}`;

const [name, ...args] = process.argv.slice(2);
const command = name === undefined ? undefined : commands[name];
if (!command || args.includes('--help') || args.includes('-h')) {
  console.error(command ? `usage: ${command.usage}` : usage);
  process.exit(command || name === '--help' || name === '-h' ? 0 : 2);
}
try {
  process.exitCode = await command.run(args);
} catch (error) {
  if (!(error instanceof UsageError) && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') !== true) throw error;
  console.error(`council ${name}: ${(error as Error).message}\nusage: ${command.usage}`);
  process.exitCode = 2;
}
