import type { StorageBackend } from '../types.ts';
import { connectDynamo } from './connection.ts';

/** DynamoDB through the AWS SDK: one table per automation, lists from global secondary indexes. */
export const dynamodbBackend: StorageBackend = {
  name: 'dynamodb',
  connect: (settings, context) => connectDynamo(settings, context),
};
