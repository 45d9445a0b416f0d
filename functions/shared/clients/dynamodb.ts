import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** One client per cold start; tests and the local simulation intercept it by class. */
const dynamodb = new DynamoDBClient({});

export { dynamodb };
