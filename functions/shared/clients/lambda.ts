import { LambdaClient } from '@aws-sdk/client-lambda';

/** One client per cold start; tests and the local simulation intercept it by class. Pure: a bundle that never sends with it leaves it out. */
const lambda = /* @__PURE__ */ new LambdaClient({});

export { lambda };
