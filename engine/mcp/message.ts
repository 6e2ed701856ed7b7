import { HttpProblem } from '../errors/problem.ts';
import { readBodyBytes } from '../http/body.ts';
import { inexactNumbers } from '../http/json-numbers.ts';

/** What a POST to /mcp may carry, as the SDK's transport would bound it itself (4 MiB). */
export const MCP_BODY_LIMIT = 4 * 1024 * 1024;

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const ARGUMENTS = '/params/arguments';

/**
 * The JSON-RPC message of a POST to /mcp, read by the engine instead of the SDK's transport
 * (which then takes it as `parsedBody`), so that a tool argument holding a number a double
 * cannot carry exactly is refused as in every HTTP body, rather than rounded by `JSON.parse`
 * before the engine sees it. Pointers inside a tool call's arguments are given as argument
 * pointers (`/set/price`), as the tool's other errors are.
 */
export async function readMcpMessage(request: Request): Promise<unknown> {
  const bytes = await readBodyBytes(request, MCP_BODY_LIMIT);
  let text: string;
  let message: unknown;
  try {
    text = UTF8.decode(bytes);
    message = JSON.parse(text);
  } catch (error) {
    throw new HttpProblem('malformed-json', `the MCP message is not valid JSON: ${(error as Error).message}`);
  }
  const inexact = inexactNumbers(text).map((e) =>
    e.pointer.startsWith(`${ARGUMENTS}/`) ? { ...e, pointer: e.pointer.slice(ARGUMENTS.length) } : e,
  );
  if (inexact.length) {
    const detail = inexact.map((e) => `${e.pointer || '(message)'} ${e.message}`).join('; ');
    throw new HttpProblem('validation-failed', `the arguments cannot be used as sent: ${detail}`, { errors: inexact });
  }
  return message;
}
