import { packageJson } from '../package-file.ts';
import { type CommandSpec, commands, usageLine } from './commands.ts';

const WIDTH = 100;

/** The version in package.json, which `council --version` prints. */
export function version(): string {
  return packageJson<{ version: string }>('package.json').version;
}

/** `council help`: every command with its one line. */
export function overview(): string {
  const names = Object.keys(commands);
  const pad = Math.max(...names.map((n) => n.length)) + 3;
  return [
    `council ${version()}: commit one YAML file, get an API.`,
    '',
    'usage: council COMMAND [OPTIONS]',
    '',
    'commands:',
    ...names.map((name) => `  ${name.padEnd(pad)}${commands[name]?.summary}`),
    `  ${'help'.padEnd(pad)}Explain a command and each of its options: council help COMMAND.`,
    '',
    'council COMMAND --help is the same as council help COMMAND; council --version prints the version.',
    'Reference: documents/cli.md',
  ].join('\n');
}

/** `council help NAME`: the usage line, then every option with what it does. */
export function commandHelp(name: string, spec: CommandSpec): string {
  // --help last, after what the command itself takes.
  const flags = Object.entries(spec.options).sort(([a], [b]) => Number(a === 'help') - Number(b === 'help'));
  const rows = flags.map(([flag, o]) => ({
    left: `${o.short ? `-${o.short}, ` : ''}--${flag}${o.value ? ` ${o.value}` : ''}`,
    text: o.description,
  }));
  const pad = Math.max(...rows.map((r) => r.left.length)) + 3;
  return [
    `council ${name}: ${spec.summary}`,
    '',
    `usage: ${usageLine(name, spec)}`,
    '',
    'options:',
    ...rows.map((r) => `  ${r.left.padEnd(pad)}${wrap(r.text, WIDTH - pad - 2).join(`\n  ${' '.repeat(pad)}`)}`),
    ...(spec.details?.length ? ['', ...spec.details] : []),
  ].join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}
