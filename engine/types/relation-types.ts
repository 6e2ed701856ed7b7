import type { AutomationPlan, JsonSchema } from '../compile/plan.ts';

/** The record's properties for its relations, and the imports their types need. */
export interface RelationTypes {
  readonly properties: Record<string, JsonSchema>;
  readonly imports: readonly string[];
}

/**
 * One optional property per relation of `plan` (present only when a read asks
 * `?expand=`), typed as the referred automation's record: this file's own record for a
 * reference to itself, an import from the referred automation's file beside this one
 * (`./accounts.js`, as `council types` writes them) when `related` has its plan, else an
 * object with its `id`. An imported name that this file declares too is aliased.
 */
export function relationTypes(plan: AutomationPlan, related: readonly AutomationPlan[], declared: ReadonlySet<string>): RelationTypes {
  const taken = new Set([...declared].map((n) => n.toLowerCase()));
  const imported = new Map<string, string>();
  const properties: Record<string, JsonSchema> = {};
  for (const reference of plan.references) {
    const target = related.find((p) => p.name === reference.automation);
    let type = '{ id: string; [field: string]: unknown }';
    if (reference.automation === plan.name) type = plan.names.singular;
    else if (target) {
      let alias = imported.get(target.name);
      if (alias === undefined) {
        alias = taken.has(target.names.singular.toLowerCase()) ? `${target.names.plural}Record` : target.names.singular;
        taken.add(alias.toLowerCase());
        imported.set(target.name, alias);
      }
      type = alias;
    }
    properties[reference.name] = {
      tsType: `${type} | null`,
      description: `The ${reference.automation} record \`${reference.field}\` holds the id of: present only when the read asks \`?expand=${reference.name}\` (null when \`${reference.field}\` is unset or names no record); with \`fields=${reference.name}.NAME\`, only those of its fields.`,
    };
  }
  const imports = [...imported].map(([name, alias]) => {
    const singular = related.find((p) => p.name === name)?.names.singular;
    const what = alias === singular ? alias : `${singular} as ${alias}`;
    return `import type { ${what} } from './${name}.js';`;
  });
  return { properties, imports };
}
