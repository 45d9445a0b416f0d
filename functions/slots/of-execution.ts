import { cachedDeploymentsFile } from '../config/packaged';
import type { DeploymentState } from '../shared/deployment';
import { parseSlotKey, slotOf, type SlotRef } from './identity';

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The slot an execution is about, from its state or its input: the resolved
 * deployment's; a push input's `slot`; a person's `target` in deployments.yml.
 * Undefined when the input names none (it never held, or waited for, a slot).
 */
function slotOfExecution(stateOrInput: unknown): SlotRef | undefined {
  if (!isRecord(stateOrInput)) return undefined;
  const deployment = (stateOrInput as Partial<DeploymentState>).deployment;
  if (deployment?.slot) return deployment.slot;
  // Refused before it resolved: the state is the input, kept under `input`, and why.
  if ('input' in stateOrInput && !('slot' in stateOrInput) && !('target' in stateOrInput)) return slotOfExecution(stateOrInput.input);
  if (typeof stateOrInput.slot === 'string') return parseSlotKey(stateOrInput.slot);
  if (typeof stateOrInput.target !== 'string') return undefined;
  const name = stateOrInput.target;
  try {
    const target = cachedDeploymentsFile().targets.find((t) => t.name === name);
    return target ? slotOf(target) : undefined;
  } catch {
    // deployments.yml unreadable: nothing this execution could have held either.
    return undefined;
  }
}

export { slotOfExecution };
