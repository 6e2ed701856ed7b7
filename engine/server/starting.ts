import { HttpProblem } from '../errors/problem.ts';
import { livez } from './probes.ts';

/**
 * What the server answers between binding its port and the engine being ready (the
 * stores opening, every manifest loading): 503 `server-starting` with Retry-After, so
 * clients and local tools retry rather than meeting a refused connection. `/livez` is 200.
 */
export function startingResponse(request: Request): Response {
  // The process is up: an orchestrator must not restart a server for taking its time to start.
  if (new URL(request.url).pathname === '/livez') return livez();
  return new HttpProblem('server-starting', 'the server is starting: its stores are opening and its manifests loading; retry shortly', {
    headers: { 'retry-after': '1' },
  }).toResponse();
}
