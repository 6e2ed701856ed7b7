import { createHash } from 'node:crypto';

/** The longest operation id (and MCP tool name) GPT Actions and the model clients accept. */
const MAX_OPERATION_ID = 64;
const VERB = 'list';

/**
 * What the reverse list of relation `relation` of an automation whose plural name is
 * `plural` publishes after its verb: `AccountTickets` for `account` of `tickets`, so its
 * operation id (and MCP tool) is `listAccountTickets`. The loader counts it among the names
 * an automation publishes, so no other automation's list can have it. A name that would
 * make the id longer than 64 characters ends in a hash of the whole instead.
 */
export function reverseListName(relation: string, plural: string): string {
  const full = `${relation.charAt(0).toUpperCase()}${relation.slice(1)}${plural}`;
  if (VERB.length + full.length <= MAX_OPERATION_ID) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, MAX_OPERATION_ID - VERB.length - hash.length)}${hash}`;
}

/** `listAccountTickets`: the operation id of a reverse list (see {@link reverseListName}). */
export function reverseListOperationId(relation: string, plural: string): string {
  return `${VERB}${reverseListName(relation, plural)}`;
}
