import { HttpProblem } from '../errors/problem.ts';

/**
 * What the server answers between binding its port and the engine being ready (the
 * stores opening, every manifest loading): 503 `server-starting` with Retry-After, so
 * clients and local tools retry rather than meeting a refused connection.
 */
export function startingResponse(): Response {
  return new HttpProblem('server-starting', 'the server is starting: its stores are opening and its manifests loading; retry shortly', {
    headers: { 'retry-after': '1' },
  }).toResponse();
}
