import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

/** One client per cold start; tests and the local simulation intercept it by class. */
const eventBridge = new EventBridgeClient({});

export { eventBridge };
