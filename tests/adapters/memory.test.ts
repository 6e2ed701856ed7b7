import { memoryCapabilities } from '../../adapters/memory/capabilities.ts';
import { memoryBackend } from '../../adapters/memory/index.ts';
import { runRecordStoreContract } from './contract.ts';

runRecordStoreContract('memory', () => memoryBackend.connect({ name: 'test', backend: 'memory' }, { dataDir: '' }), {
  capabilities: memoryCapabilities,
  lacks: { columnTypes: 'memory keeps records as objects: there are no column types to conflict' },
});
