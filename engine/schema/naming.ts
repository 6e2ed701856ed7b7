/** `support-tickets` -> `SupportTickets` */
export function pascalCase(name: string): string {
  return name
    .split('-')
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}

/**
 * A best guess at the singular of an English plural automation name; manifests can
 * override it with `singular:` where the guess is wrong (`people` -> `person`).
 */
export function singularize(name: string): string {
  const rules: [RegExp, string][] = [
    [/ies$/, 'y'],
    [/(ss|x|ch|sh)es$/, '$1'],
    [/(ss|us|is)$/, '$1'],
    [/s$/, ''],
  ];
  for (const [pattern, replacement] of rules) {
    if (pattern.test(name)) return name.replace(pattern, replacement);
  }
  return name;
}

/** What an automation's name may be (the meta-schema's `name` pattern): it is the first segment of its paths. */
export const AUTOMATION_NAME_PATTERN = /^[a-z][a-z0-9-]*$/;
