import type { Context } from 'hono';
import { HttpProblem } from '../errors/problem.ts';
import type { ConnectionPool } from '../registry/connections.ts';
import { SYSTEM_CONNECTION } from '../security/key-store.ts';

/** How long /readyz waits for the system store's ping: an orchestrator probes often and must get an answer. */
const READY_PING_MS = 1000;

/**
 * `GET /livez`: the process is up and its event loop turns. 200 from the moment the port is
 * bound (also while the server starts, see starting.ts): restarting a server that is
 * starting would only start it again.
 */
export function livez(): Response {
  return Response.json({ status: 'ok' });
}

/**
 * `GET /readyz`: send traffic here. The start-up load of every manifest has finished (until
 * then the server answers 503 `server-starting`), and the system store (keys, audit) answers
 * a ping when it is in use; else 503 `storage-unavailable`. From SIGTERM on, 503
 * `server-stopping` (see listen.ts: the server keeps serving through its grace period). A manifest that failed does not
 * make the server unready: the others serve (see /health for what failed).
 */
export function readyz(
  connections: ConnectionPool,
  stopping: () => boolean,
  /** What the other instances serve and this one cannot (its manifests failed here), as of the last heartbeat. */
  behind: () => readonly string[] = () => [],
): (c: Context) => Promise<Response> {
  return async (c) => {
    // Shutting down: the load balancer is to stop sending work here, while what comes still gets answered.
    if (stopping()) throw new HttpProblem('server-stopping', 'not ready: this server is shutting down; send requests to another instance');
    const missing = behind();
    if (missing.length) {
      throw new HttpProblem(
        'instance-behind',
        `not ready: the other instances serve ${missing.join(', ')}, whose manifests failed here; see /health for why`,
      );
    }
    const status = await connections.status(READY_PING_MS);
    const system = status.find((s) => s.name === SYSTEM_CONNECTION);
    if (system?.state === 'down') {
      throw new HttpProblem(
        'storage-unavailable',
        `not ready: the system store (connection "${SYSTEM_CONNECTION}": API keys, audit) does not answer; retry after the delay in Retry-After`,
        { headers: { 'retry-after': '5' } },
      );
    }
    return c.json({ status: 'ok' });
  };
}
