import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryCapabilities } from '../../adapters/memory/capabilities.ts';
import { memoryBackend } from '../../adapters/memory/index.ts';
import { StorageError } from '../../adapters/types.ts';
import { contractSpec, runRecordStoreContract } from './contract.ts';

runRecordStoreContract('memory', () => memoryBackend.connect({ name: 'test', backend: 'memory' }, { dataDir: '' }), {
  capabilities: memoryCapabilities,
  lacks: { columnTypes: 'memory keeps records as objects: there are no column types to conflict' },
});

describe('memory: unique values', () => {
  it('a collection reopened with a field made unique knows the values its records already hold', async () => {
    const connection = await memoryBackend.connect({ name: 'test', backend: 'memory' }, { dataDir: '' });
    const spec = contractSpec();
    const before = await connection.open(spec);
    const held = { id: 'a', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', name: 'Ada' };
    await before.create(held);
    const after = await connection.open({ ...spec, unique: ['name'] });
    await assert.rejects(
      after.create({ ...held, id: 'b' }),
      (error: unknown) => error instanceof StorageError && error.kind === 'conflict' && error.field === 'name',
    );
    assert.equal((await after.create({ ...held, id: 'c', name: 'Cy' })).id, 'c');
    await connection.close();
  });
});
