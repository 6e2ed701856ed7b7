import type { Handler } from 'hono';
import type { ConsoleEnv } from './console-env.ts';
import type { RouteKey } from './routes.ts';

/** Registers the handler of one line of CONSOLE_ROUTES, behind that line's guard. */
export type On = (key: RouteKey, handler: Handler<ConsoleEnv>) => void;
