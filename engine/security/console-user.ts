import { AUTOMATION_NAME_PATTERN } from '../schema/naming.ts';

/**
 * What a console user is allowed: `admin` everything (users and keys included), `editor`
 * the manifests of the automations it names (all of them when it names none), `viewer`
 * reading only. The console's pages enforce it; the store only keeps it.
 */
export const ROLES = ['admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** A new user as the CLI and `/admin/users` take it, checked and normalized by {@link checkNewUser}. */
export interface NewUser {
  readonly email: string;
  readonly role: Role;
  /** For an editor: the automations it may edit; absent: all of them. */
  readonly automations?: readonly string[];
}

/** Longest address SMTP carries (RFC 5321's path limit, less its angle brackets). */
const EMAIL_MAX = 254;
/** Deliberately loose: one @, something on each side, a dot in the domain. The address is an identifier here, never mailed by the engine. */
const EMAIL_SHAPE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/** Emails are compared in lower case: `Ann@Example.com` and `ann@example.com` are one user. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Undefined when `email` (normalized) can be a user's; else why not, in a sentence. */
export function emailProblem(email: string): string | undefined {
  if (email.length > EMAIL_MAX) return `an email has at most ${EMAIL_MAX} characters`;
  if (!EMAIL_SHAPE.test(email)) return `"${email}" is not an email address (name@example.com)`;
  return undefined;
}

/**
 * The one check of a new user, shared by `council users create` and `POST /admin/users`:
 * the user normalized, or every problem found as sentences.
 */
export function checkNewUser(input: {
  email?: unknown;
  role?: unknown;
  automations?: unknown;
}): { user: NewUser } | { problems: string[] } {
  const problems: string[] = [];
  const email = typeof input.email === 'string' ? normalizeEmail(input.email) : '';
  if (!email) problems.push('an email is needed, e.g. ann@example.com');
  else {
    const problem = emailProblem(email);
    if (problem) problems.push(problem);
  }
  const role = input.role;
  if (!ROLES.includes(role as Role)) {
    problems.push(`${role === undefined || role === '' ? 'a role is needed' : `"${String(role)}" is not a role`}: say ${ROLES.join(', ')}`);
  }
  let automations: string[] | undefined;
  if (input.automations !== undefined) {
    const names = Array.isArray(input.automations) ? input.automations : [input.automations];
    const bad = names.filter((name) => typeof name !== 'string' || !AUTOMATION_NAME_PATTERN.test(name));
    if (role !== 'editor') {
      if (ROLES.includes(role as Role)) problems.push('automations are for an editor only: an admin edits every automation, a viewer none');
    } else if (names.length === 0 || bad.length) {
      problems.push(
        `automations are automation names, e.g. tickets,notes${bad.length ? `; not a name: ${bad.map(String).join(', ')}` : ''}`,
      );
    } else automations = [...new Set(names as string[])];
  }
  if (problems.length) return { problems };
  return { user: { email, role: role as Role, ...(automations ? { automations } : {}) } };
}

/** Shortest password a user may choose (NIST SP 800-63B asks at least 8; a passphrase clears 12 easily). */
export const PASSWORD_MIN = 12;
/** Longest: enough for any passphrase, short enough that hashing it costs nothing extra. */
export const PASSWORD_MAX = 256;

/** Undefined when a user may choose `password`; else why not, in a sentence. */
export function passwordProblem(password: string, email: string): string | undefined {
  if ([...password].length < PASSWORD_MIN) return `a password has at least ${PASSWORD_MIN} characters`;
  if ([...password].length > PASSWORD_MAX) return `a password has at most ${PASSWORD_MAX} characters`;
  if (normalizeEmail(password) === normalizeEmail(email)) return 'a password cannot be your email';
  return undefined;
}
