import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { getRequestListener, RequestError } from '@hono/node-server';
import type { ProblemCode } from '../errors/codes.ts';
import { describeProblem, HttpProblem } from '../errors/problem.ts';
import { renderError } from '../http/errors.ts';
import type { Logger } from '../log.ts';

type Fetch = (request: Request, env?: unknown) => Response | Promise<Response>;

/**
 * The engine's fetch handler on a Node HTTP server that answers in problem+json what
 * Node's HTTP layer refuses before any handler runs, where Node itself writes a bare
 * status with an empty body:
 *
 * - bytes that are not HTTP (`HPE_*` parser errors, e.g. `Content-Length` together with
 *   `Transfer-Encoding`, or garbage after a complete request): 400 `malformed-request`;
 * - a request line and headers past Node's 16 KiB (a huge query string): 431
 *   `headers-too-large`; chunk extensions too large: 413; headers not received in time: 408;
 * - a request target or `Host` the URL cannot be built from (a backslash in the path): 400.
 *
 * The connection is closed after such an answer, as Node does, but never over a response
 * still being written: requests read before the bad bytes are answered first, so a write
 * that was read correctly is applied and its client gets its answer, then the 400 for the
 * rest. A request whose own body the bad bytes cut short is never applied: its body cannot
 * be read, and the 400 is the connection's answer.
 * A client that went away (ECONNRESET, EPIPE) is no error: its socket is closed, nothing logged.
 */
export function serveHttp(options: { fetch: Fetch; port: number; hostname: string; logger: Logger }, onListening: () => void): Server {
  const listener = getRequestListener(options.fetch, {
    hostname: options.hostname,
    errorHandler: (error) =>
      error instanceof RequestError
        ? new HttpProblem('malformed-request', `the request cannot be read: ${error.message}; send a valid HTTP request`).toResponse()
        : renderError(error, options.logger),
  });
  // One request listener (an event with two copies its listener list on every emit), and
  // one shared close listener per response, no closure: this runs on every request.
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    // Once closing (or about to), a request that still arrives on a kept-alive connection is its last.
    if (!server.listening || lastRequests.has(server)) response.shouldKeepAlive = false;
    const socket = request.socket as Connection;
    const answering = socket[ANSWERING] ?? new Set<ServerResponse>();
    socket[ANSWERING] = answering;
    answering.add(response);
    response.on('close', answered);
    listener(request, response);
  });
  // Each connection keeps its own responses not yet finished (for closeServer and for
  // answering bad bytes in order). One set for the whole server churned by every request
  // made scavenges keep each request's objects: with a store that answers asynchronously,
  // 20% of the time in GC and 17.6k -> 28.3k req/s without it (memory store behind a
  // setImmediate, one core); a set per connection holds a few at a time and costs nothing.
  const connections = new Set<Connection>();
  server.on('connection', (socket: Connection) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  connectionsOf.set(server, connections);
  function answered(this: ServerResponse): void {
    const socket = this.req.socket as Connection;
    socket[ANSWERING]?.delete(this);
    socket.emit(ANSWERED);
  }
  const refused = new WeakSet<Socket>();
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (refused.has(socket)) return;
    refused.add(socket);
    const problem =
      PARSER_PROBLEMS[error.code ?? ''] ?? (error.code?.startsWith('HPE_') ? malformed((error as { reason?: string }).reason) : undefined);
    if (!problem || !socket.writable) {
      // The client went away (or the socket broke): nobody to answer, nothing to log.
      socket.destroy();
      return;
    }
    // Requests read in full before the bad bytes are answered first. One the bad bytes cut
    // short (inside its body) is not: its body cannot be read, so it is never applied.
    const answer = () => {
      const requests = [...((socket as Connection)[ANSWERING] ?? [])];
      if (requests.some((response) => response.req.complete)) return;
      socket.off(ANSWERED, answer);
      const started = requests.some((response) => response.headersSent);
      closeWith(socket, started ? undefined : problem);
    };
    socket.on(ANSWERED, answer);
    answer();
    // A response that never ends (a stream) does not hold the connection forever.
    setTimeout(() => socket.destroy(), ANSWER_WAIT_MS).unref();
  });
  server.listen(options.port, options.hostname, onListening);
  return server;
}

/** A connection and its responses not yet finished. */
type Connection = Socket & { [ANSWERING]?: Set<ServerResponse> };
const ANSWERING = Symbol('council:answering');
const connectionsOf = new WeakMap<Server, Set<Connection>>();

/**
 * Stops taking connections and resolves once every request in flight is answered: each
 * answer not yet started says `Connection: close` and its connection closes after it, and
 * idle connections close at once, so a client's keep-alive connection does not hold the
 * shutdown for the keep-alive timeout (65 s). With `timeoutMs`, connections whose requests
 * are still running then are closed under them.
 */
export function closeServer(server: Server, timeoutMs?: number): Promise<void> {
  endKeepAlive(server);
  return new Promise((resolve) => {
    // Past the bound, the connections still answering are closed under their requests.
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Every answer from now on, and each one already begun but not yet sent, says
 * `Connection: close` and closes its connection after it: a client (or a load balancer)
 * opens its next connection elsewhere, while this server still takes connections.
 */
export function endKeepAlive(server: Server): void {
  lastRequests.add(server);
  for (const socket of connectionsOf.get(server) ?? []) {
    for (const response of socket[ANSWERING] ?? []) if (!response.headersSent) response.shouldKeepAlive = false;
  }
  // Idle ones stay open until the port closes: closed now, a client about to reuse one would
  // find it reset under its request; used in the grace, each is answered, then closed.
}

/** Servers whose every answer is its connection's last (a shutdown is under way). */
const lastRequests = new WeakSet<Server>();

/** Emitted on a connection each time one of its responses closes. */
const ANSWERED = 'council:answered';
/** Longest wait for earlier responses on a connection before the bad bytes are answered. */
const ANSWER_WAIT_MS = 60_000;
/** How long a closed connection drains what the client still sends, so the answer is not lost to a reset. */
const LINGER_MS = 2000;

interface ParserProblem {
  readonly code: ProblemCode;
  readonly detail: string;
}

/** Any other parser error; `reason` is llhttp's fixed text, e.g. "Transfer-Encoding can't be present with Content-Length". */
function malformed(reason: string | undefined): ParserProblem {
  return {
    code: 'malformed-request',
    detail: `the request is not valid HTTP/1.1${reason ? ` (${reason})` : ''}; the connection is closed after the requests read before it were answered, and nothing after it was read. Send well-formed requests`,
  };
}

/** Node's parser and timeout errors, by code; any other `HPE_*` is {@link malformed}. */
const PARSER_PROBLEMS: Record<string, ParserProblem> = {
  HPE_HEADER_OVERFLOW: {
    code: 'headers-too-large',
    detail:
      'the request line and headers are larger than the server reads (16 KiB, the URL and its query string included); send fewer or shorter query parameters, or fewer headers',
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: {
    code: 'payload-too-large',
    detail: 'the chunk extensions of the request body are larger than the server reads; send the body without chunk extensions',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    code: 'request-timeout',
    detail: 'the request was not received completely in time and the connection is closed; send it again, without pauses',
  },
};

/** Writes the problem (when there is one) as the connection's last answer, then closes it. */
function closeWith(socket: Socket, problem: ParserProblem | undefined): void {
  if (socket.destroyed) return;
  if (problem) socket.end(rawProblem(problem));
  else socket.end();
  // What the client still sends is read and dropped until it closes too (or the linger ends):
  // closing with unread bytes would reset the connection and could lose the answer.
  socket.resume();
  socket.once('end', () => socket.destroy());
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

function rawProblem({ code, detail }: ParserProblem): string {
  const meaning = describeProblem(code);
  const status = meaning?.status ?? 400;
  const body = JSON.stringify({ type: `/problems/${code}`, title: meaning?.title ?? 'Bad request', status, detail, code });
  return [
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Bad Request'}`,
    'Content-Type: application/problem+json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
};
