import { ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { SimulatedAwsAccount } from './simulated-account';

/**
 * What an operator (or an infrastructure-as-code apply) does behind the deployer's
 * back: a revision of the service's task definition with another image in one
 * container, and the service pointed at it, through the ECS API.
 */
async function changeServiceImageByHand(account: SimulatedAwsAccount, where: { cluster: string; service: string; container: string }, image: string): Promise<string> {
  const client = new ECSClient({ region: account.region });
  const current = account.runningTaskDefinition(where.cluster, where.service);
  if (!current) throw new Error(`service ${where.cluster}/${where.service} runs no task definition`);
  const { taskDefinitionArn: _arn, revision: _revision, status: _status, registeredAt: _at, registeredBy: _by, requiresAttributes: _attributes, compatibilities: _compatibilities, ...definition } = current;
  const containers = (definition.containerDefinitions ?? []).map((container) => (container.name === where.container ? { ...container, image } : container));
  const registered = await client.send(new RegisterTaskDefinitionCommand({ ...definition, family: definition.family, containerDefinitions: containers }));
  const arn = registered.taskDefinition?.taskDefinitionArn ?? '';
  await client.send(new UpdateServiceCommand({ cluster: where.cluster, service: where.service, taskDefinition: arn }));
  client.destroy();
  return arn;
}

export { changeServiceImageByHand };
