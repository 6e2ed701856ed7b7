import type { StorageBackend } from '../types.ts';
import { connectMongo } from './connection.ts';

/**
 * MongoDB through the official driver: one collection per automation (in the database
 * the URL names, `council` by default), one document per record with its id as `_id`,
 * a `$jsonSchema` validator and indexes from the spec, keyset pagination on `(field, _id)`.
 */
export const mongodbBackend: StorageBackend = {
  name: 'mongodb',
  connect: (settings) => connectMongo(settings),
};
