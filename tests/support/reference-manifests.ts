import { compileAutomation } from '../../engine/compile/compile.ts';
import type { AutomationPlan } from '../../engine/compile/plan.ts';
import { loadManifests } from '../../engine/manifest/load.ts';
import { makeProject } from './project.ts';

/**
 * Automations that refer to each other, written to pass the GPT profile: users; accounts
 * (owner: users, setNull); tickets (account: accounts, restrict; a list with a filter and
 * sorts); projects (account: accounts, cascade); tasks (project: projects, cascade).
 * Every endpoint needs a key.
 */
const manifest = (
  name: string,
  one: string,
  references: string,
  properties: string,
  endpoints: string,
  required = '[title]',
) => `name: ${name}
description: The ${name} of the support desk, kept for assistants.
storage: { backend: memory }
${references ? `references:\n${references}\n` : ''}schema:
  type: object
  required: ${required}
  additionalProperties: false
  properties:
    title: { type: string, minLength: 1, maxLength: 100, description: Short name of the ${one}. }
${properties}
endpoints:
${endpoints}
`;

const CRUD = ['list', 'get', 'create', 'update', 'replace', 'delete'].map((o) => `  - operation: ${o}`).join('\n');

export const REFERENCE_MANIFESTS: Readonly<Record<string, string>> = {
  'users.yaml': manifest('users', 'user', '', '', CRUD),
  'accounts.yaml': manifest(
    'accounts',
    'account',
    '  owner: { field: ownerId, automation: users, onDelete: setNull }',
    '    ownerId: { type: string, format: uuid, description: The user who owns the account. }',
    CRUD,
  ),
  'tickets.yaml': manifest(
    'tickets',
    'ticket',
    '  account: { field: accountId, automation: accounts }',
    '    accountId: { type: string, format: uuid, description: The account the ticket is about. }\n    status: { type: string, enum: [open, closed], description: Whether the ticket is still open. }',
    CRUD.replace('  - operation: list', '  - operation: list\n    filters: [status]\n    sort: [title, createdAt]'),
    '[title, accountId]',
  ),
  'projects.yaml': manifest(
    'projects',
    'project',
    '  account: { field: accountId, automation: accounts, onDelete: cascade }',
    '    accountId: { type: string, format: uuid, description: The account the project is for. }',
    CRUD,
  ),
  'tasks.yaml': manifest(
    'tasks',
    'task',
    '  project: { field: projectId, automation: projects, onDelete: cascade }',
    '    projectId: { type: string, format: uuid, description: The project the task belongs to. }',
    CRUD,
  ),
};

/** The compiled plans of {@link REFERENCE_MANIFESTS} (or of `manifests`), by name; throws on any error. */
export function referencePlans(manifests: Readonly<Record<string, string>> = REFERENCE_MANIFESTS): Map<string, AutomationPlan> {
  const project = makeProject({ ...manifests });
  try {
    const { manifests: loaded, issues } = loadManifests([project.automations], new Map([['memory', 'memory']]));
    const errors = issues.filter((i) => i.severity === 'error');
    if (errors.length) throw new Error(errors.map((i) => `${i.file}:${i.line}: ${i.message}`).join('\n'));
    const pagination = { defaultLimit: 20, maxLimit: 100, maxResponseChars: 50_000 };
    return new Map(loaded.map((m) => [m.manifest.name, compileAutomation(m, { pagination })]));
  } finally {
    project.remove();
  }
}
