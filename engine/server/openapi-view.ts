import { readFileSync } from 'node:fs';
import type { OpenAPIObject } from 'openapi3-ts/oas31';
import type { AutomationPlan } from '../compile/plan.ts';
import type { CouncilConfig } from '../config/config.ts';
import { buildOpenApi } from '../openapi/index.ts';
import type { AutomationRegistry } from '../registry/registry.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; description: string };

/** Options for the whole-engine OpenAPI document. */
export function openApiOptions(config: CouncilConfig) {
  return {
    title: 'theCouncil',
    version: pkg.version,
    description: pkg.description,
    ...(config.server.publicUrl ? { serverUrl: config.server.publicUrl } : {}),
  };
}

/**
 * One automation's own document, for a GPT Action or any client of that automation only:
 * its title and description are the automation's, and optional headers are left out.
 */
export function automationOpenApi(plan: AutomationPlan, config: CouncilConfig): OpenAPIObject {
  const options = openApiOptions(config);
  return buildOpenApi([plan], {
    ...options,
    title: `${plan.name} (theCouncil)`,
    description: plan.description,
    omitOptionalHeaders: true,
  });
}

/** The OpenAPI document of what is serving, rebuilt only when that changes. */
export function openApiView(registry: AutomationRegistry, config: () => CouncilConfig): () => OpenAPIObject {
  let cached: { version: number; config: CouncilConfig; doc: OpenAPIObject } | undefined;
  return () => {
    const current = config();
    if (cached?.version !== registry.version || cached.config !== current) {
      const plans = registry.serving().map((m) => m.plan);
      cached = { version: registry.version, config: current, doc: buildOpenApi(plans, openApiOptions(current)) };
    }
    return cached.doc;
  };
}
