import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

/** One client per cold start; tests and the local simulation intercept it by class. Pure: a bundle that never sends with it leaves it out. */
const eventBridge = /* @__PURE__ */ new EventBridgeClient({});

export { eventBridge };
