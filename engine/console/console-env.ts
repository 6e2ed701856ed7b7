import type { SessionRecord } from '../security/console-session.ts';
import type { UserRecord } from '../security/user-store.ts';

/** What a console handler knows once its route's guard let the request through (absent for `anyone` routes). */
export type ConsoleEnv = {
  Variables: {
    user: UserRecord;
    session: SessionRecord;
    /** The cookie's token of this session (sign out revokes it). */
    token: string;
    /** This answer's style nonce, in its Content-Security-Policy (security-headers.ts). */
    styleNonce: string;
  };
};

/** The audit log's actor of a console user: never a key id, so the two cannot be confused. */
export function actorOf(user: { readonly email: string }): string {
  return `user:${user.email}`;
}
