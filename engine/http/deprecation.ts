import type { Deprecation } from '../compile/plan.ts';
import { HttpProblem } from '../errors/problem.ts';

/**
 * What every answer of a deprecated version carries: when it was deprecated
 * (`Deprecation`, RFC 9745: a structured-field date), when it stops (`Sunset`, RFC 8594:
 * an HTTP-date), and where its successor serves the same path (`Link`,
 * rel="successor-version", RFC 5829). `loadedAt` stands in for an undeclared `since`.
 */
export function deprecationHeaders(deprecation: Deprecation, path: string, basePath: string, loadedAt: string): Record<string, string> {
  const since = Date.parse(deprecation.since ?? loadedAt);
  return {
    deprecation: `@${Math.floor(since / 1000)}`,
    sunset: new Date(deprecation.sunsetAt).toUTCString(),
    link: `<${successorPath(deprecation, path, basePath)}>; rel="successor-version"`,
  };
}

/** The 410 a version answers after its sunset, pointing at its successor. */
export function sunsetProblem(deprecation: Deprecation, path: string, basePath: string, name: string): HttpProblem {
  const successor = successorPath(deprecation, path, basePath);
  return new HttpProblem(
    'version-sunset',
    `${basePath} (version ${basePath.split('/')[1]?.slice(1)} of ${name}) was served until ${deprecation.sunset}; call ${successor} (version ${deprecation.successor}) instead, whose shapes are in /openapi.json`,
    { headers: { link: `<${successor}>; rel="successor-version"`, sunset: new Date(deprecation.sunsetAt).toUTCString() } },
  );
}

/** The same path under the successor: `/v1/accounts/7` -> `/accounts/7`. */
function successorPath(deprecation: Deprecation, path: string, basePath: string): string {
  return path.startsWith(basePath) ? `${deprecation.successorPath}${path.slice(basePath.length)}` : deprecation.successorPath;
}
