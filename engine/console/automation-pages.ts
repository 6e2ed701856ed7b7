import type { UsageAnalytics } from '../analytics/usage-analytics.ts';
import type { CouncilConfig } from '../config/config.ts';
import { automationStates } from '../registry/automation-states.ts';
import type { AutomationRegistry } from '../registry/registry.ts';
import type { On } from './on.ts';
import { AutomationPage } from './pages/automation.tsx';
import { AutomationsPage } from './pages/automations.tsx';
import { MessagePage } from './pages/layout.tsx';
import { projectRoot } from './project.ts';
import { render } from './render.ts';
import { mayCreate, mayEdit } from './routes.ts';
import type { ConsoleStores } from './stores.ts';

/** The automations list (filter by name, file, backend, state) and one automation's page, for every signed-in role. */
export function addAutomationPages(
  on: On,
  parts: { registry: AutomationRegistry; config: () => CouncilConfig; analytics: UsageAnalytics | undefined; stores: ConsoleStores },
) {
  const { registry, config, analytics, stores } = parts;
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
        filter,
        canCreate: mayCreate(user),
        ...(usage ? { usage } : {}),
      }),
    );
  });
  on('GET /automations/:name', async (c) => {
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
        rateLimit: plan?.rateLimit ?? { requests, perSeconds },
        ...(saved ? { saved } : {}),
        canEdit: mayEdit(frame.user, name),
        keys,
        ...(usage ? { usage } : {}),
      }),
    );
  });
}
