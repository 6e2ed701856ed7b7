import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashPassword, oneTimePassword, verifyPassword } from '../../engine/security/password.ts';

describe('console passwords', () => {
  it('a hash says how it was made, and verifies its password only', async () => {
    const stored = await hashPassword('correct horse battery staple');
    const [name, N, r, p, salt, hash] = stored.split('$');
    assert.deepEqual([name, N, r, p], ['scrypt', String(2 ** 15), '8', '1']);
    assert.equal(Buffer.from(salt as string, 'base64').length, 16);
    assert.equal(Buffer.from(hash as string, 'base64').length, 32);
    assert.equal(await verifyPassword('correct horse battery staple', stored), true);
    assert.equal(await verifyPassword('correct horse battery stapler', stored), false);
    assert.equal(await verifyPassword('', stored), false);
    assert.notEqual(await hashPassword('correct horse battery staple'), stored, 'each hash has its own salt');
  });

  it('a tampered or foreign string verifies nothing, and never throws', async () => {
    const password = 'swordfish-swordfish';
    const stored = await hashPassword(password);
    const parts = stored.split('$');
    const hash = Buffer.from(parts[5] as string, 'base64');
    hash[0] = (hash[0] as number) ^ 1;
    const salt = Buffer.from(parts[4] as string, 'base64');
    salt[3] = (salt[3] as number) ^ 1;
    const tampered = [
      [...parts.slice(0, 5), hash.toString('base64')].join('$'),
      [...parts.slice(0, 4), salt.toString('base64'), parts[5]].join('$'),
      ['scrypt', 2 ** 14, ...parts.slice(2)].join('$'),
      ['scrypt', 2 ** 24, ...parts.slice(2)].join('$'), // 16 GiB asked of one guess: refused, not attempted
      ['scrypt', 3 ** 10, ...parts.slice(2)].join('$'),
      [...parts.slice(0, 5), `${parts[5]}!`].join('$'),
      [...parts.slice(0, 5), (parts[5] as string).slice(0, 8)].join('$'),
      stored.replace('scrypt$', 'bcrypt$'),
      `${stored}$x`,
      '',
      password,
    ];
    for (const text of tampered) assert.equal(await verifyPassword(password, text), false, text);
  });

  it('a one-time password is 20 base62 characters, new each time', () => {
    const made = new Set(Array.from({ length: 100 }, () => oneTimePassword()));
    assert.equal(made.size, 100);
    for (const password of made) assert.match(password, /^[0-9A-Za-z]{20}$/);
  });
});
