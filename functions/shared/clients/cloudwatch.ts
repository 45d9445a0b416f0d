import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';

/** One client per cold start; tests and the local simulation intercept it by class. Pure: a bundle that never sends with it leaves it out. */
const cloudWatch = /* @__PURE__ */ new CloudWatchClient({});

export { cloudWatch };
