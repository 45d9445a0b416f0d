import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** One client per cold start; tests and the local simulation intercept it by class. Pure: a bundle that never sends with it leaves it out. */
const dynamodb = /* @__PURE__ */ new DynamoDBClient({});

export { dynamodb };
