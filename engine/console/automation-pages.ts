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

/** The automations list (filter by name, file, backend, state) and one automation's page, for every signed-in role. */
export function addAutomationPages(on: On, parts: { registry: AutomationRegistry; config: () => CouncilConfig }) {
  const { registry, config } = parts;
  const states = () => automationStates(registry, projectRoot(config()));
  on('GET /', (c) => c.redirect('/console/automations', 303));
  on('GET /automations', (c) => {
    const filter = { q: c.req.query('q') ?? '', state: c.req.query('state') ?? '', page: Number(c.req.query('page')) || 1 };
    const user = c.get('user');
    return render(c, AutomationsPage({ user, csrf: c.get('session').csrf, all: states(), filter, canCreate: mayCreate(user) }));
  });
  on('GET /automations/:name', (c) => {
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
    return render(
      c,
      AutomationPage({
        ...frame,
        state,
        ...(plan ? { plan } : {}),
        rateLimit: plan?.rateLimit ?? { requests, perSeconds },
        ...(saved ? { saved } : {}),
        canEdit: mayEdit(frame.user, name),
      }),
    );
  });
}
