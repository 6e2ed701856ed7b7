/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { FC } from 'hono/jsx';
import type { FleetView } from '../../fleet/heartbeat.ts';

/**
 * The instances sharing this server's system store, as of its last heartbeat: whether they
 * serve the same manifests, and each one's state. Shown above the automations, where an
 * operator looks first after a merge.
 */
export const FleetSection: FC<{ fleet: FleetView }> = ({ fleet }) => {
  const count = fleet.instances.length;
  return (
    <section aria-label="Instances">
      <h2>Instances</h2>
      <p role="status" class={fleet.agree ? 'muted' : 'state state-degraded'}>
        {`${count} instance${count === 1 ? '' : 's'} ${fleet.agree ? (count === 1 ? 'serving' : 'serving the same manifests') : 'not serving the same manifests'}`}
        {fleet.missing.length ? `; this one cannot serve ${fleet.missing.join(', ')} (not ready)` : ''}
      </p>
      <table>
        <caption class="muted">Heard from within three heartbeats, as of {fleet.at}</caption>
        <thead>
          <tr>
            <th scope="col">Instance</th>
            <th scope="col">State</th>
            <th scope="col">Serves</th>
            <th scope="col">Fingerprint</th>
            <th scope="col">Failing here</th>
            <th scope="col">Last heartbeat</th>
          </tr>
        </thead>
        <tbody>
          {fleet.instances.map((i) => (
            <tr>
              <td>
                {`${i.host}:${i.pid}`}
                {i.self ? <span class="muted"> (this one)</span> : null}
              </td>
              <td>{i.state}</td>
              <td>{`${i.serving.length} automation${i.serving.length === 1 ? '' : 's'}`}</td>
              <td>
                <code>{i.fingerprint.slice(0, 8)}</code>
              </td>
              <td>{i.failing.join(', ')}</td>
              <td>{i.beatAt}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
};
