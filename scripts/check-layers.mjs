#!/usr/bin/env node
// `npm run check`: the engine's folders import downward only (rules in .dependency-cruiser.cjs).
import { createRequire } from 'node:module';
import { cruise } from 'dependency-cruiser';

const config = createRequire(import.meta.url)('../.dependency-cruiser.cjs');
const result = await cruise(['engine', 'adapters'], { ...config.options, validate: true, ruleSet: { forbidden: config.forbidden } });
if (typeof result.output === 'string') throw new Error('dependency-cruiser returned text, not a result');
/** The line of LAYERS a module belongs to, as `engine/x (layer n)`. */
function layerOf(module) {
  const rank = config.LAYERS.findIndex((line) =>
    line.some((entry) => new RegExp(entry.endsWith('\\.ts') ? `^${entry}$` : `^${entry}/`).test(module)),
  );
  return rank < 0 ? module : `${module.split('/').slice(0, 2).join('/')} (layer ${rank + 1} of ${config.LAYERS.length})`;
}

const { violations, totalCruised } = result.output.summary;
for (const v of violations) {
  const why =
    v.rule.name === 'upward-import' || v.rule.name === 'peer-import'
      ? `${layerOf(v.from)} may not import ${layerOf(v.to)}`
      : config.forbidden.find((r) => r.name === v.rule.name)?.comment;
  const cycle = v.cycle ? `\n    cycle: ${v.cycle.map((step) => step.name ?? step).join(' -> ')}` : '';
  console.error(`${v.from} -> ${v.to}\n    ${v.rule.name}: ${why}${cycle}`);
}
if (violations.length > 0) {
  console.error(`\n${violations.length} import(s) break the layers (${totalCruised} modules checked)`);
  process.exit(1);
}
console.log(`layers: ${totalCruised} modules, every import downward`);
