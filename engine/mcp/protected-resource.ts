import type { AutomationPlan } from '../compile/plan.ts';

/** Where RFC 9728 puts a protected resource's metadata, before the resource's own path. */
export const METADATA_PATH = '/.well-known/oauth-protected-resource';

/**
 * The public base URL of the server: `server.publicUrl` when set (a reverse proxy's
 * address), else the origin the request came to. No trailing slash.
 */
export function baseUrl(publicUrl: string | undefined, requestUrl: string): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return new URL(requestUrl).origin;
}

/** The RFC 9728 metadata URL of the MCP endpoint: the well-known path inserted before `/mcp`. */
export function mcpMetadataUrl(base: string): string {
  const url = new URL(base);
  return `${url.origin}${METADATA_PATH}${url.pathname.replace(/\/+$/, '')}/mcp`;
}

/**
 * The challenge of a 401 from /mcp (RFC 6750 with RFC 9728's `resource_metadata`), so
 * a client learns where the metadata about this resource lives.
 */
export function mcpChallenge(base: string): string {
  return `Bearer realm="theCouncil", resource_metadata="${mcpMetadataUrl(base)}"`;
}

/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728) for `resource` (the server, or its
 * /mcp endpoint). theCouncil takes API keys made with `council keys create` as bearer
 * tokens and runs no OAuth authorization server, so the document names none
 * (`authorization_servers` is optional in RFC 9728): it tells a client that this is a
 * protected resource, that the key goes in the Authorization header, and which scopes
 * keys carry; a person configures the key in the client.
 */
export function protectedResourceMetadata(resource: string, base: string, plans: readonly AutomationPlan[]) {
  const scopes = new Set<string>();
  for (const plan of plans) for (const endpoint of plan.endpoints) for (const scope of endpoint.access.scopes) scopes.add(scope);
  return {
    resource,
    resource_name: 'theCouncil',
    bearer_methods_supported: ['header'],
    scopes_supported: [...scopes].sort(),
    resource_documentation: `${base}/docs`,
  };
}
