import { paginateDescribeJobDefinitions, type JobDefinition } from '@aws-sdk/client-batch';
import { DescribeServicesCommand, type Service } from '@aws-sdk/client-ecs';
import type { CliContext } from './context';

/**
 * What a target is in AWS now, read the one way every command reads it (plan, status,
 * verify, init, snapshot): Describe calls only.
 */

/** The ECS service unless it is missing or INACTIVE (then `reason` is ECS's, e.g. MISSING). */
async function describeLiveService(context: CliContext, cluster: string, name: string): Promise<{ service?: Service; reason: string }> {
  context.errorContext.action = 'ecs:DescribeServices';
  const described = await context.clients.ecs.send(new DescribeServicesCommand({ cluster, services: [name] }));
  const service = described.services?.find((s) => s.serviceName === name && s.status !== 'INACTIVE');
  return { service, reason: described.failures?.[0]?.reason ?? (service ? '' : 'MISSING') };
}

/** The newest ACTIVE revision of a job definition. */
async function latestActiveJobDefinition(context: CliContext, name: string): Promise<JobDefinition | undefined> {
  context.errorContext.action = 'batch:DescribeJobDefinitions';
  const revisions: JobDefinition[] = [];
  for await (const page of paginateDescribeJobDefinitions({ client: context.clients.batch }, { jobDefinitionName: name, status: 'ACTIVE' })) {
    revisions.push(...(page.jobDefinitions ?? []).filter((d) => d.status === 'ACTIVE' && d.jobDefinitionName === name));
  }
  return revisions.sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))[0];
}

export { describeLiveService, latestActiveJobDefinition };
