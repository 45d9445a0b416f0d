import { resolveExecutionInput, type ExecutionContext } from '../deployment/resolve';
import type { Deployment } from '../shared/deployment';
import { step } from '../shared/step';

interface ResolveDeploymentEvent {
  input: unknown;
  execution: ExecutionContext;
}

/**
 * First state: validates the execution input and resolves the target; for a
 * console-style input (`tag`, `digest` or `rollback`) looks the image up in ECR
 * and, for a rollback, in the deployment history.
 */
export const handler = step('ResolveDeployment', async (event: ResolveDeploymentEvent): Promise<{ deployment: Deployment }> => ({
  deployment: await resolveExecutionInput(event.input, event.execution),
}));
