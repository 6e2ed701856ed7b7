import { LRUCache } from 'lru-cache';
import type { OpenAPIObject } from 'openapi3-ts/oas31';
import type { AutomationPlan } from '../compile/plan.ts';
import { servedVersions } from '../compile/versions.ts';
import type { CouncilConfig } from '../config/config.ts';
import { buildOpenApi } from '../openapi/index.ts';
import { packageJson } from '../package-file.ts';
import type { AutomationRegistry } from '../registry/registry.ts';

const pkg = packageJson<{ version: string; description: string }>('package.json');

/**
 * Options for the whole-engine OpenAPI document. The server URL is `server.publicUrl`;
 * without it, `origin`, the one the request came in on (see request-origin.ts); with neither
 * (the CLI), the document has no `servers`.
 */
export function openApiOptions(config: CouncilConfig, origin?: string) {
  const serverUrl = config.server.publicUrl ?? origin;
  return {
    title: 'theCouncil',
    version: pkg.version,
    description: pkg.description,
    ...(serverUrl ? { serverUrl } : {}),
  };
}

/**
 * One automation's own document, for a GPT Action or any client of that automation only:
 * its title and description are the automation's, and optional headers are left out.
 * `related` (the automations serving beside it) names what its references reach: the
 * scopes `expand` needs, what its delete also deletes or changes; the document itself
 * holds this automation's operations and schemas only.
 */
export function automationOpenApi(
  plan: AutomationPlan,
  config: CouncilConfig,
  origin?: string,
  related: readonly AutomationPlan[] = [],
): OpenAPIObject {
  const options = openApiOptions(config, origin);
  // Its earlier versions served beside it too: a client of it sees where each went.
  return buildOpenApi(servedVersions(plan), {
    ...options,
    title: `${plan.name} (theCouncil)`,
    description: plan.description,
    omitOptionalHeaders: true,
    related,
  });
}

/** Origins one version of a document is kept for at most: a client making up Host values costs a rebuild, not memory. */
export const ORIGINS_CACHED = 16;

/**
 * The OpenAPI document of what is serving for a request that came in on `origin`, rebuilt
 * only when what serves, the config or the origin changes (one document per origin, for a
 * few origins).
 */
export function openApiView(registry: AutomationRegistry, config: () => CouncilConfig): (origin?: string) => OpenAPIObject {
  let cached: { version: number; config: CouncilConfig; docs: LRUCache<string, OpenAPIObject> } | undefined;
  return (origin) => {
    const current = config();
    if (cached?.version !== registry.version || cached.config !== current) {
      cached = { version: registry.version, config: current, docs: new LRUCache({ max: ORIGINS_CACHED }) };
    }
    // With a public URL every origin gets the same document.
    const key = current.server.publicUrl ? '' : (origin ?? '');
    let doc = cached.docs.get(key);
    if (!doc) {
      doc = buildOpenApi(
        registry.serving().flatMap((m) => servedVersions(m.plan)),
        openApiOptions(current, origin),
      );
      cached.docs.set(key, doc);
    }
    return doc;
  };
}
