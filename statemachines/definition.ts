import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * The deploy state machine as deployed: statemachines/deploy.asl.yaml with its
 * anchors resolved and its `x-` keys (the retry policies the states name) dropped.
 * serverless.yml deploys this JSON (scripts/serverless-config.js) and the tests
 * and the local run execute it (local/state-machine.ts): one source, one result.
 */

// From the package root: the same path from statemachines/ and from the packed CLI's dist/.
const SOURCE = join(__dirname, '..', 'statemachines', 'deploy.asl.yaml');

interface AslDefinition {
  Comment?: string;
  StartAt: string;
  States: Record<string, Record<string, unknown> & { Type: string }>;
}

function deployDefinition(source = SOURCE): AslDefinition {
  const parsed = parse(readFileSync(source, 'utf8'), { maxAliasCount: -1 }) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(parsed).filter(([key]) => !key.startsWith('x-'))) as unknown as AslDefinition;
}

/** The deployed definition as text: what DefinitionString holds. */
function deployDefinitionJson(source = SOURCE): string {
  return JSON.stringify(deployDefinition(source));
}

export { deployDefinition, deployDefinitionJson };
export type { AslDefinition };
