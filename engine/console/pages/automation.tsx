/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { FC } from 'hono/jsx';
import type { AutomationPlan, JsonSchema } from '../../compile/plan.ts';
import type { AutomationState } from '../../registry/automation-states.ts';
import { grantsAll } from '../../schema/scopes.ts';
import type { KeyRecord } from '../../security/key-store.ts';
import { type RecentUsage, recentText } from './automations.tsx';
import { type Frame, Layout, Notice } from './layout.tsx';
import { TryPanel, type TryView } from './try-panel.tsx';

/** One automation: its state and errors, where its data lives, its endpoints with their access, and its fields. */
const SAVED: Readonly<Record<string, { kind: 'ok' | 'error' | 'info'; text: string }>> = {
  loaded: { kind: 'ok', text: 'Saved. The engine loaded it: this version serves now.' },
  updated: { kind: 'ok', text: 'Saved. The engine loaded it: this version serves now.' },
  unchanged: { kind: 'info', text: 'Saved. The engine found nothing to change in what serves.' },
  rejected: { kind: 'error', text: 'Saved, but the engine refused to serve it (why is below); the version before it keeps serving.' },
  pending: { kind: 'info', text: 'Saved. The engine is still loading it (its store is slow to answer); reload this page to see.' },
};

export const AutomationPage: FC<
  Frame & {
    state: AutomationState;
    plan?: AutomationPlan;
    rateLimit: { requests: number; perSeconds: number };
    saved?: string;
    canEdit: boolean;
    /** Active keys, to say which may call each endpoint. */
    keys: readonly KeyRecord[];
    /** Requests and errors in the last hour (absent: analytics off). */
    usage?: RecentUsage;
    /** The try-it form as last sent, and its answer. */
    tried?: TryView;
    /** Where its connection keeps records, in words. */
    where?: string;
  }
> = ({ state, plan, rateLimit, saved, canEdit, keys, usage, tried, where, ...frame }) => (
  <Layout title={state.name ?? state.file} section="automations" {...frame}>
    {saved && SAVED[saved] ? <Notice kind={SAVED[saved].kind}>{SAVED[saved].text}</Notice> : null}
    {canEdit && state.name ? (
      <p>
        <a href={`/console/automations/${state.name}/configure`}>Configure</a> ·{' '}
        <a href={`/console/automations/${state.name}/edit`}>Edit the YAML</a>
      </p>
    ) : null}
    {state.errors?.length ? (
      <Notice kind="error">
        <p>
          {state.state === 'degraded'
            ? 'The file changed and its latest text was refused; the version before it still serves.'
            : 'This file does not serve.'}
        </p>
        <ul>
          {state.errors.map((e) => (
            <li>
              <code>{e}</code>
            </li>
          ))}
        </ul>
      </Notice>
    ) : null}
    <dl class="facts">
      <dt>State</dt>
      <dd>
        <span class={`state state-${state.state}`}>{state.state}</span>
      </dd>
      <dt>File</dt>
      <dd>
        <code>{state.file}</code>
      </dd>
      {'backend' in state ? (
        <>
          <dt>Storage</dt>
          <dd>{`${where ?? state.backend}; connection "${state.connection}"${plan ? `, collection ${plan.storage.spec.collection}` : ''}`}</dd>
          <dt>Version</dt>
          <dd>
            <code>{state.version}</code> loaded {state.loadedAt}
          </dd>
        </>
      ) : null}
      {plan ? (
        <>
          {usage ? (
            <>
              <dt>Last hour</dt>
              <dd>
                {recentText(usage)} (<a href={`/console/usage?automation=${plan.name}&range=24h`}>its usage over 24 h</a>)
              </dd>
            </>
          ) : null}
          <dt>Rate limit</dt>
          <dd>{`${rateLimit.requests} requests per ${rateLimit.perSeconds} s per key (or per address without one)${plan.rateLimit ? '' : ', the config default'}`}</dd>
          <dt>Documents</dt>
          <dd>
            <a href={`/automations/${plan.name}/openapi.json`}>OpenAPI</a> ·{' '}
            <a href={`/automations/${plan.name}/types.ts`}>TypeScript types</a>
          </dd>
        </>
      ) : null}
    </dl>
    {plan ? (
      <>
        <p>{plan.description}</p>
        <h2>Endpoints</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Operation</th>
              <th scope="col">Request</th>
              <th scope="col">Access</th>
              <th scope="col">Keys that may call it</th>
              <th scope="col">Options</th>
            </tr>
          </thead>
          <tbody>
            {plan.endpoints.map((e) => (
              <tr>
                <td>{e.operation}</td>
                <td>
                  <code>{`${e.method} ${e.path}`}</code>
                </td>
                <td>{e.access.public ? 'public (no key)' : `key with ${e.access.scopes.join(' and ')}`}</td>
                <td>{e.access.public ? 'any caller' : keysText(keys.filter((k) => grantsAll(k.scopes, e.access.scopes)))}</td>
                <td>
                  {[
                    e.filters.length ? `filters: ${e.filters.map((f) => f.field).join(', ')}` : '',
                    e.sort.length ? `sort: ${e.sort.join(', ')}` : '',
                    e.searchFields.length ? `search: ${e.searchFields.join(', ')}` : '',
                  ]
                    .filter(Boolean)
                    .join('; ')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2>Fields</h2>
        <Fields schema={plan.schema} />
        {frame.csrf ? <TryPanel plan={plan} csrf={frame.csrf} {...(tried ? { view: tried } : {})} /> : null}
      </>
    ) : null}
  </Layout>
);

/** The record's properties: name, type, whether required, limits and description. */
const Fields: FC<{ schema: JsonSchema }> = ({ schema }) => {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Type</th>
          <th scope="col">Required</th>
          <th scope="col">Rules</th>
          <th scope="col">Description</th>
        </tr>
      </thead>
      <tbody>
        {Object.entries(properties).map(([name, property]) => (
          <tr>
            <td>
              <code>{name}</code>
            </td>
            <td>{typeText(property)}</td>
            <td>{required.has(name) ? 'yes' : 'no'}</td>
            <td>{rulesText(property)}</td>
            <td>{typeof property.description === 'string' ? property.description : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
};

function typeText(property: JsonSchema): string {
  const type = Array.isArray(property.type) ? property.type.join(' or ') : (property.type as string | undefined);
  const format = typeof property.format === 'string' ? ` (${property.format})` : '';
  if (type === 'array' && property.items && typeof property.items === 'object') return `array of ${typeText(property.items as JsonSchema)}`;
  return `${type ?? 'any'}${format}`;
}

const RULES = ['minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'pattern', 'minItems', 'maxItems'];

function rulesText(property: JsonSchema): string {
  const rules = RULES.filter((r) => property[r] !== undefined).map((r) => `${r} ${String(property[r])}`);
  if (Array.isArray(property.enum)) rules.unshift(`one of ${property.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if (property.default !== undefined) rules.push(`default ${JSON.stringify(property.default)}`);
  return rules.join('; ');
}

/** `support GPT, ops` or `12 keys: a, b, c, d, e and 7 more`; `none` when no active key may. */
function keysText(keys: readonly KeyRecord[]): string {
  if (keys.length === 0) return 'none';
  const names = keys.map((k) => k.name);
  return names.length <= 5 ? names.join(', ') : `${names.length} keys: ${names.slice(0, 5).join(', ')} and ${names.length - 5} more`;
}
