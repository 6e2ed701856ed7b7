// Generated from schemas/config.schema.json by scripts/schema-types.mjs (npm run schema-types): do not edit.

export interface ConfigFile {
server?: {
port?: number
host?: string
/**
 * Base URL clients use, published as the OpenAPI server. Empty: the served documents publish the URL each request came in on (its Host, or a trusted proxy's X-Forwarded-Proto/Host); `council openapi` publishes none.
 */
publicUrl?: string
/**
 * Largest accepted request body, in bytes.
 */
bodyLimit?: number
/**
 * Longest a request may wait for its store. Past it the caller gets 504 `timeout`, and a PostgreSQL server cancels the statement a little before (statement_timeout at 90% of it). The default keeps answers well within the 45 s a GPT Action waits.
 */
requestTimeoutSeconds?: number
/**
 * On SIGTERM, how long the server keeps serving after /readyz turns 503, so a load balancer or Kubernetes stops sending it traffic before it stops taking connections. Answers in that time say `Connection: close`. 0: it stops taking connections at once (SIGINT always does).
 */
shutdownGraceSeconds?: number
/**
 * Once it stops taking connections, how long the server waits for requests in flight before it closes their connections anyway and exits.
 */
shutdownTimeoutSeconds?: number
/**
 * Web origins whose pages may call the API from a browser (CORS), e.g. https://chat.openai.com. Exact origins only: no wildcard, and an origin not listed gets no CORS headers. Empty or absent: CORS is off.
 */
corsOrigins?: string[]
/**
 * A second listener that answers GET /metrics (Prometheus text) without a key, for a Prometheus that holds no API key. Absent: none; /metrics on the main port needs an admin key (scope `*`).
 */
metricsPort?: number
/**
 * The address the metrics listener binds. Loopback by default, so metrics are never public by accident; give an address a Prometheus on another host can reach on purpose.
 */
metricsHost?: string
/**
 * One log line per automation request (info): request id, automation, operation, status, duration, key name (never the key), bytes.
 */
accessLog?: boolean
/**
 * Addresses of reverse proxies in front of the server. Only a request from one of them has its X-Forwarded-For read, from the right: the first address that is not a trusted proxy is the client (for rate limits of requests without a key); and its X-Forwarded-Proto and X-Forwarded-Host, for the OpenAPI servers URL when publicUrl is not set. Empty: forwarded headers are ignored.
 */
trustedProxies?: string[]
}
pagination?: {
defaultLimit?: number
maxLimit?: number
/**
 * Longest JSON body of a list or search page, in characters. A page stops before the record that would pass it (never before the first), with `meta.truncated: true` and `meta.next` continuing after the last record sent. The default stays well under the 100,000 characters a GPT Action reads.
 */
maxResponseChars?: number
/**
 * Most operations one `POST /NAME/batch` request carries (creates, updates, replaces and deletes together). More is refused with 422 before anything is written.
 */
maxBatch?: number
}
/**
 * Idempotency-Key on POST and PATCH: a retried write with the same key and body gets the first answer and writes nothing again.
 */
idempotency?: {
/**
 * How long a key is remembered after its first use.
 */
windowSeconds?: number
/**
 * The connection keeping keys: a redis connection shares them across instances and expires them natively. Default: the system store (the postgres connection).
 */
store?: string
}
/**
 * How the generated documents present the API to language models (GPT Actions, MCP).
 */
gpt?: {
/**
 * Whether create, update and replace are marked consequential (a GPT asks its user before calling them) unless a manifest endpoint says `consequential:`. Reads never are; deletes always are.
 */
consequentialWrites?: boolean
}
/**
 * The audit log in the system store: writes, denied requests, key and manifest events.
 */
audit?: {
/**
 * false: record nothing (for throwaway projects and benchmarks).
 */
enabled?: boolean
}
/**
 * Counting for GET /metrics (Prometheus text): requests by automation, operation, key and status class with latency, store calls by connection, rejections and replays.
 */
metrics?: {
/**
 * false: /metrics answers 404 and store calls are not counted; requests are still counted while analytics are on. Takes effect at the next start.
 */
enabled?: boolean
}
/**
 * The web console at /console.
 */
console?: {
/**
 * write: editors save manifests into the automations folder. readonly (GitOps: the folder follows a git branch): nothing is written; every edit ends in the YAML and a unified diff to put in a pull request, or a commit on a new branch. push (a fleet under git-sync): a save commits the file on top of the branch named by console.git and pushes it there, writing nothing in the automations folder; every instance gets it when git-sync pulls. auto: readonly when the automations folder is a git-sync checkout (reached through a link into a .worktrees folder, which the next sync replaces), else write.
 */
mode?: ("auto" | "write" | "readonly" | "push")
/**
 * Where console.mode: push sends a save (and only then: with another mode it is refused). The automations folder must be in a git checkout of that branch: its path there is where the file goes.
 */
git?: {
/**
 * A remote of the checkout the automations folder is in (a name: no / or :), or a URL (https://user:TOKEN@host/org/repo.git, ssh://..., an absolute path). Credentials in it are never shown in pages, errors or logs: give them as ${VARIABLE}.
 */
remote?: string
/**
 * The branch git-sync follows (its --ref). It must exist on the remote.
 */
branch: string
}
}
/**
 * Usage analytics in the system store: requests per minute by automation, operation, key and status class, with latency percentiles and bytes (GET /admin/analytics, council stats).
 */
analytics?: {
/**
 * false: keep nothing (/metrics still counts). Takes effect at the next start.
 */
enabled?: boolean
/**
 * How often counts are written. A process killed outright loses at most this many seconds of counts (a stop flushes them).
 */
flushSeconds?: number
/**
 * Rows older than this many days are deleted. Minutes are kept 48 h, then summed into hours; hours are kept 30 days, then summed into days.
 */
retentionDays?: number
}
/**
 * Instances that share a system store on a server (the postgres connection has a url) tell each other what they serve: /health lists them and whether they agree.
 */
fleet?: {
/**
 * How often each instance writes its row (what it serves, its state) and reads the others'. An instance silent for three periods has left the fleet.
 */
heartbeatSeconds?: number
}
/**
 * Default rate limit of every automation, per client (an API key, or an address for requests without one): 429 with Retry-After past it. A manifest's rateLimit replaces it.
 */
rateLimit?: {
/**
 * Requests allowed in the window (also the largest burst).
 */
requests: number
/**
 * The window, in seconds.
 */
perSeconds: number
/**
 * A redis connection (by name) where every instance counts, so limits hold across instances. Absent, or a connection without a url: each process counts on its own.
 */
store?: string
/**
 * With a store: the longest a request waits for that Redis, in milliseconds. Past it (Redis down, refusing or frozen) requests are decided by each instance on its own until Redis answers again.
 */
timeoutMs?: number
}
/**
 * Directory of manifests, relative to this file.
 */
automations?: string
/**
 * Where embedded stores keep their files, relative to this file.
 */
dataDir?: string
connections?: {
[k: string]: {
backend: ("memory" | "postgres" | "redis" | "mongodb" | "opensearch" | "elasticsearch" | "dynamodb")
/**
 * Server URL. Empty: postgres runs embedded (PGlite); redis runs on memory (said at start and in /health; refused with --strict or NODE_ENV=production).
 */
url?: string
pool?: {
max?: number
idleTimeoutSeconds?: number
}
}
}
}
