import { parseArgs } from 'node:util';
import { closestMatch } from '../errors/did-you-mean.ts';
import { type CommandSpec, commands } from './commands.ts';

/**
 * Checks a command line against the command's options before the command runs, and
 * says what is wrong in one line of our own (never Node's parseArgs text): an unknown
 * option with the closest one it accepts, a missing value with an example, a value given
 * to a switch, an argument the command does not take. Undefined when it is fine.
 */
export function checkArgs(name: string, spec: CommandSpec, args: readonly string[]): string | undefined {
  const { tokens } = parseArgs({ args: [...args], options: spec.options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === 'option-terminator') break;
    if (token.kind === 'positional') {
      if (!spec.arguments) return `unexpected argument "${token.value}": council ${name} takes options only`;
      continue;
    }
    const flag = spec.options[token.name];
    if (!flag) return unknownOption(name, spec, token.rawName);
    const shown = `--${token.name}`;
    if (flag.type === 'boolean') {
      if (token.value !== undefined) return `${shown} takes no value (got "${token.value}")`;
      continue;
    }
    const example = `${shown} ${flag.value ?? 'VALUE'}`;
    if (token.value === undefined) return `${shown} needs a value: ${example}`;
    // parseArgs would take the next option for the value: `--port --data x`.
    if (!token.inlineValue && token.value.startsWith('-')) {
      return `${shown} needs a value: ${example} (a value that starts with "-" goes after "=": ${shown}=${token.value})`;
    }
  }
  return undefined;
}

function unknownOption(name: string, spec: CommandSpec, raw: string): string {
  const given = raw.replace(/^-+/, '').split('=')[0] as string;
  const own = Object.keys(spec.options);
  const close = closestMatch(given, own);
  if (close) return `unknown option ${raw} (did you mean --${close}?)`;
  const elsewhere = Object.entries(commands)
    .filter(([, other]) => Object.hasOwn(other.options, given))
    .map(([other]) => `council ${other}`);
  const belongs = elsewhere.length ? `; ${raw.split('=')[0]} is an option of ${elsewhere.join(', ')}` : '';
  return `unknown option ${raw}${belongs}; council ${name} takes ${own.map((o) => `--${o}`).join(', ')}`;
}
