import { resolveDeployment, type ExecutionContext } from '../deployment/resolve';
import type { Deployment } from '../shared/deployment';
import { step } from '../shared/step';

interface ResolveDeploymentEvent {
  input: unknown;
  execution: ExecutionContext;
}

/** First state: validates the execution input and resolves the target. */
export const handler = step('ResolveDeployment', async (event: ResolveDeploymentEvent): Promise<{ deployment: Deployment }> => ({
  deployment: resolveDeployment(event.input, event.execution),
}));
