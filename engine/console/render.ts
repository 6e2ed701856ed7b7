import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** A JSX page as the answer, with its doctype. */
export async function render(c: Context, page: unknown, status: ContentfulStatusCode = 200): Promise<Response> {
  const html = await Promise.resolve(String(page));
  return c.html(`<!DOCTYPE html>${html}`, status);
}
