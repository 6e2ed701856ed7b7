import { memoryBackend } from '../adapters/memory/index.ts';
import { runRecordStoreContract } from './contract/record-store.contract.ts';

runRecordStoreContract('memory', () => memoryBackend.connect({ name: 'test', backend: 'memory' }, { dataDir: '' }), {
  lacks: { columnTypes: 'memory keeps records as objects: there are no column types to conflict' },
});
