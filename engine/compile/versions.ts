import type { AutomationPlan, Deprecation } from './plan.ts';

/** Whether a deprecated version's last second (the end of its sunset day, UTC) has passed. */
export function pastSunset(deprecation: Deprecation, now = Date.now()): boolean {
  return now > Date.parse(deprecation.sunsetAt);
}

/**
 * The latest plan and the earlier versions still served beside it, latest first: what
 * documents (OpenAPI, MCP tools) publish. A version past its sunset only answers 410.
 */
export function servedVersions(plan: AutomationPlan, now = Date.now()): AutomationPlan[] {
  return [plan, ...plan.earlier.filter((p) => !p.version.deprecation || !pastSunset(p.version.deprecation, now))];
}

/**
 * What an operation of an earlier version says first, for a model choosing between
 * versions: that it is one, and where to go instead when it is deprecated.
 */
export function versionNote(plan: AutomationPlan): string {
  if (plan.version.latest) return '';
  const { deprecation, number } = plan.version;
  if (!deprecation) return `Version ${number} of ${plan.name}; the latest is at /${plan.name}.`;
  return `Deprecated: version ${number} stops on ${deprecation.sunset}; use ${deprecation.successorPath} (version ${deprecation.successor}).`;
}
