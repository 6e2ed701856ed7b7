import type { Context } from 'hono';
import type { UsageAnalytics } from '../analytics/usage-analytics.ts';
import type { CouncilConfig } from '../config/config.ts';
import type { FleetView } from '../fleet/heartbeat.ts';
import { automationStates } from '../registry/automation-states.ts';
import { placement } from '../registry/connections.ts';
import type { AutomationRegistry } from '../registry/registry.ts';
import type { ConsoleEnv } from './console-env.ts';
import type { On } from './on.ts';
import { AutomationPage } from './pages/automation.tsx';
import { AutomationsPage } from './pages/automations.tsx';
import { MessagePage } from './pages/layout.tsx';
import type { TryView } from './pages/try-panel.tsx';
import { projectFile, projectRoot } from './project.ts';
import { render } from './render.ts';
import { mayCreate, mayEdit } from './routes.ts';
import type { ConsoleStores } from './stores.ts';

/** The automations list (filter by name, file, backend, state) and one automation's page, for every signed-in role. */
export function addAutomationPages(
  on: On,
  parts: {
    registry: AutomationRegistry;
    config: () => CouncilConfig;
    analytics: UsageAnalytics | undefined;
    stores: ConsoleStores;
    /** The engine's own routes, for the try-it panel. */
    dispatch: (request: Request) => Promise<Response>;
    /** The instances sharing the system store (absent: it is embedded, one instance). */
    fleet?: (() => FleetView) | undefined;
  },
) {
  const { registry, config, analytics, stores, dispatch } = parts;
  /** Requests and errors of the last hour by automation, when the analytics are on. */
  const lastHour = async (automation?: string) => {
    if (!analytics) return undefined;
    const to = Date.now();
    const report = await analytics.report({
      from: to - 3_600_000,
      to,
      top: registry.serving().length,
      ...(automation ? { automation } : {}),
    });
    return new Map(report.top.automations.map((a) => [a.automation, { requests: a.requests, errors: a.errors }]));
  };
  const states = () => automationStates(registry, projectRoot(config()));
  /** Where each connection's records really live, in words (`postgres: embedded PGlite in .council/data`), by connection name. */
  const placements = () => {
    const current = config();
    const dataDir = projectFile(current, current.dataDir);
    return new Map([...current.connections.values()].map((c) => [c.name, placement(c, dataDir)]));
  };
  on('GET /', (c) => c.redirect('/console/automations', 303));
  on('GET /automations', async (c) => {
    const filter = { q: c.req.query('q') ?? '', state: c.req.query('state') ?? '', page: Number(c.req.query('page')) || 1 };
    const user = c.get('user');
    const usage = await lastHour();
    return render(
      c,
      AutomationsPage({
        user,
        csrf: c.get('session').csrf,
        all: states(),
        placements: placements(),
        filter,
        canCreate: mayCreate(user),
        ...(usage ? { usage } : {}),
        ...(parts.fleet ? { fleet: parts.fleet() } : {}),
      }),
    );
  });
  on('GET /automations/:name', (c) => automationPage(c));
  on('POST /automations/:name/try', async (c) => automationPage(c, await tryEndpoint(c)));

  /** One automation's page; with `tried`, the try-it form as sent and the answer. */
  async function automationPage(c: Context<ConsoleEnv>, tried?: TryView) {
    const frame = { user: c.get('user'), csrf: c.get('session').csrf };
    const name = c.req.param('name') ?? '';
    const state = states().find((s) => s.name === name);
    if (!state) {
      const message = `No automation is named "${name}". The automations page lists every one.`;
      return render(c, MessagePage({ ...frame, title: 'Not found', message }), 404);
    }
    const plan = registry.match(name)?.plan;
    const { requests, perSeconds } = config().rateLimit;
    const saved = c.req.query('saved');
    const keys = plan
      ? (await stores.keys((k) => k.list())).filter((k) => !k.revokedAt && !(k.expiresAt && k.expiresAt <= new Date().toISOString()))
      : [];
    const usage = (await lastHour(name))?.get(name);
    return render(
      c,
      AutomationPage({
        ...frame,
        state,
        ...(plan ? { plan } : {}),
        ...('connection' in state ? { where: placements().get(state.connection) ?? state.connection } : {}),
        rateLimit: plan?.rateLimit ?? { requests, perSeconds },
        ...(saved ? { saved } : {}),
        canEdit: mayEdit(frame.user, name),
        keys,
        ...(usage ? { usage } : {}),
        ...(tried ? { tried } : {}),
      }),
      tried?.error ? 400 : 200,
    );
  }

  /** Sends the try-it form's request through the engine's own routes, with the pasted key. */
  async function tryEndpoint(c: Context<ConsoleEnv>): Promise<TryView> {
    const form = await c.req.parseBody();
    const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : '');
    const view = {
      operation: field('operation'),
      id: field('id').trim(),
      query: field('query').trim().replace(/^\?/, ''),
      body: field('body'),
      key: field('key').trim(),
    };
    const endpoint = registry.match(c.req.param('name') ?? '')?.plan.endpoints.find((e) => e.operation === view.operation);
    if (!endpoint) return { ...view, error: 'Choose one of the operations this automation serves.' };
    if (endpoint.path.includes('{id}') && !view.id) return { ...view, error: `${endpoint.operation} needs the id of a record.` };
    const withBody = endpoint.method === 'POST' || endpoint.method === 'PUT' || endpoint.method === 'PATCH';
    if (withBody) {
      try {
        JSON.parse(view.body || '{}');
      } catch (error) {
        return { ...view, error: `The body is not JSON: ${(error as Error).message}` };
      }
    }
    const path = endpoint.path.replace('{id}', encodeURIComponent(view.id)) + (view.query && !withBody ? `?${view.query}` : '');
    const request = new Request(new URL(path, c.req.url), {
      method: endpoint.method,
      headers: {
        ...(view.key ? { authorization: `Bearer ${view.key}` } : {}),
        ...(withBody ? { 'content-type': 'application/json' } : {}),
      },
      ...(withBody ? { body: view.body || '{}' } : {}),
    });
    const response = await dispatch(request);
    const text = await response.text();
    let shown = text;
    try {
      shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // Not JSON: shown as it came.
    }
    return {
      ...view,
      result: {
        request: `${endpoint.method} ${path}`,
        status: response.status,
        requestId: response.headers.get('x-request-id'),
        text: shown,
      },
    };
  }
}
