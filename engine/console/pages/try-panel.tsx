/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { FC } from 'hono/jsx';
import type { AutomationPlan } from '../../compile/plan.ts';
import { Csrf, Notice } from './layout.tsx';

/** What the try-it form held, and what the API answered. */
export interface TryView {
  readonly operation: string;
  readonly id: string;
  readonly query: string;
  readonly body: string;
  readonly key: string;
  readonly error?: string;
  readonly result?: { readonly request: string; readonly status: number; readonly requestId: string | null; readonly text: string };
}

/** The longest answer shown: enough for a page of records, not a page that takes the browser down. */
const SHOWN_CHARS = 20_000;

/**
 * Try an endpoint from the console: the request goes through the engine's own routes with
 * the key the user pastes (the console keeps none: keys are stored as hashes), so it is
 * checked, limited and audited like any call, and the answer is shown as the API gave it.
 */
export const TryPanel: FC<{ plan: AutomationPlan; csrf: string; view?: TryView }> = ({ plan, csrf, view }) => (
  <section aria-labelledby="try">
    <h2 id="try">Try it</h2>
    {view?.error ? <Notice kind="error">{view.error}</Notice> : null}
    {view?.result ? (
      <div class="tried">
        <p>
          <code>{view.result.request}</code>
          {` answered ${view.result.status}`}
          {view.result.requestId ? ` (request ${view.result.requestId}, in the audit log under it)` : ''}
        </p>
        <pre>
          {view.result.text.length > SHOWN_CHARS
            ? `${view.result.text.slice(0, SHOWN_CHARS)}\n… (${view.result.text.length} characters in all)`
            : view.result.text}
        </pre>
      </div>
    ) : null}
    <form class="stack wide" method="post" action={`/console/automations/${plan.name}/try`}>
      <Csrf token={csrf} />
      <label>
        Operation
        <select name="operation">
          {plan.endpoints.map((e) => (
            <option value={e.operation} selected={view?.operation === e.operation}>
              {`${e.operation}: ${e.method} ${e.path}`}
            </option>
          ))}
        </select>
      </label>
      <label>
        Record id <span class="hint">for get, update, replace and delete</span>
        <input type="text" name="id" value={view?.id ?? ''} autocomplete="off" />
      </label>
      <label>
        Query <span class="hint">for list and search, e.g. status=open&amp;limit=5 or q=printer</span>
        <input type="text" name="query" value={view?.query ?? ''} autocomplete="off" />
      </label>
      <label>
        JSON body <span class="hint">for create, update and replace</span>
        <textarea name="body" rows={4} spellcheck={false}>
          {view?.body ?? ''}
        </textarea>
      </label>
      <label>
        API key <span class="hint">sent as Authorization: Bearer; the console does not keep it (public endpoints need none)</span>
        <input type="password" name="key" value={view?.key ?? ''} autocomplete="off" />
      </label>
      <button type="submit">Send</button>
    </form>
  </section>
);
