import { bucketOf, newSketch, type Sketch } from './latency-sketch.ts';

/** What an automation request was: the labels of its usage. Made once per endpoint, never per request. */
export interface EndpointLabel {
  readonly automation: string;
  readonly operation: string;
}

/** A label and its cells by caller, then by status class: found from the label itself, with no lookup. */
class Endpoint implements EndpointLabel {
  readonly byKey = new Map<string, (UsageCell | undefined)[]>();
  constructor(
    readonly automation: string,
    readonly operation: string,
  ) {}
}

/** The caller of a request without a key. */
export const ANONYMOUS = 'anonymous';

/** Status classes, by `status / 100`. */
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** Requests of one endpoint, caller and status class since the process started. */
export interface UsageCell {
  readonly automation: string;
  readonly operation: string;
  /** The key's name (never the key), or {@link ANONYMOUS}. */
  readonly key: string;
  readonly statusClass: StatusClass;
  count: number;
  /** Sum of durations, in seconds. */
  seconds: number;
  /** Response body bytes. */
  bytes: number;
  readonly latency: Sketch;
}

/**
 * Every automation request counted by endpoint, caller and status class: cumulative
 * counts, durations, bytes and a latency sketch. The one source of `/metrics` (which reads
 * the totals) and of the usage analytics (which store what changed since their last
 * flush). Recording a request allocates nothing once its cell exists: the endpoint's label
 * is made when the endpoint is, and its cells are found by caller, then by status class.
 */
export class Usage {
  readonly #labels = new Map<string, Endpoint>();

  /**
   * The one label of an endpoint, made when it is bound; a reload gets the same object
   * back, so its new version counts on in the same cells. `unmatched` labels requests
   * under an automation that no endpoint answered (404, 405).
   */
  label(automation: string, operation: string): EndpointLabel {
    const name = `${automation}\0${operation}`;
    let label = this.#labels.get(name);
    if (!label) {
      label = new Endpoint(automation, operation);
      this.#labels.set(name, label);
    }
    return label;
  }

  /** `label` is one {@link label} made. */
  record(label: EndpointLabel, status: number, key: string, seconds: number, bytes: number): void {
    const byKey = (label as Endpoint).byKey;
    let byClass = byKey.get(key);
    if (!byClass) {
      byClass = [undefined, undefined, undefined, undefined, undefined];
      byKey.set(key, byClass);
    }
    const index = Math.min(4, Math.max(0, Math.floor(status / 100) - 1));
    let cell = byClass[index];
    if (!cell) {
      cell = {
        automation: label.automation,
        operation: label.operation,
        key,
        statusClass: STATUS_CLASSES[index] as StatusClass,
        count: 0,
        seconds: 0,
        bytes: 0,
        latency: newSketch(),
      };
      byClass[index] = cell;
    }
    cell.count++;
    cell.seconds += seconds;
    cell.bytes += bytes;
    const bucket = bucketOf(seconds * 1000);
    cell.latency[bucket] = (cell.latency[bucket] as number) + 1;
  }

  /** Every cell, live (read them within one turn). */
  *cells(): Iterable<UsageCell> {
    for (const { byKey } of this.#labels.values()) for (const byClass of byKey.values()) for (const cell of byClass) if (cell) yield cell;
  }
}
