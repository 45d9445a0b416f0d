import type { ContainerDefinition, RegisterTaskDefinitionCommandInput, Tag, TaskDefinition } from '@aws-sdk/client-ecs';
import { ContainerNotFound } from '../shared/errors';
import { DEPLOYMENT_TAG_KEY, PREVIOUS_REVISION_TAG_KEY, isCopiedTagKey, withoutNulls } from '../shared/definition';
import { parseImageReference } from '../shared/image';

/**
 * Keys DescribeTaskDefinition returns that RegisterTaskDefinition does not take.
 * A deny-list on purpose: an allow-list silently drops fields it does not know
 * (pidMode, ipcMode, ephemeralStorage, runtimePlatform, … and tomorrow's fields).
 */
const READ_ONLY_TASK_DEFINITION_KEYS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
] as const;

/** Enum-valued keys for which ECS rejects "" although describe outputs and templates carry it. */
const EMPTY_MEANS_UNSET_KEYS = ['ipcMode', 'pidMode', 'networkMode'] as const;

/** ECS allows at most 50 tags per resource. */
const MAX_TAGS = 50;

/**
 * Which containers take the new image: the configured names, or those whose image
 * is from the repository (in `registry`, when given: Docker Hub's `nginx` is not
 * your ECR repository `nginx`).
 */
function selectContainers(taskDefinition: TaskDefinition, repository: string, configured?: string[], registry?: string): ContainerDefinition[] {
  const containers = taskDefinition.containerDefinitions ?? [];
  const family = taskDefinition.family ?? taskDefinition.taskDefinitionArn ?? 'task definition';
  if (configured && configured.length > 0) {
    const missing = configured.filter((name) => !containers.some((c) => c.name === name));
    if (missing.length > 0) {
      throw new ContainerNotFound(
        `${family} has no container named ${missing.map((n) => `"${n}"`).join(', ')} (it has ${containers.map((c) => `"${c.name}"`).join(', ')}). Fix ecs.containers in deployments.yml.`,
      );
    }
    return containers.filter((c) => c.name !== undefined && configured.includes(c.name));
  }
  const fromRepository = containers.filter((c) => {
    if (c.image === undefined) return false;
    const image = parseImageReference(c.image);
    return image.repository === repository && (registry === undefined || image.registry === registry);
  });
  if (fromRepository.length === 0) {
    throw new ContainerNotFound(
      `no container of ${family} runs an image from repository "${registry ? `${registry}/` : ''}${repository}" (images: ${containers.map((c) => `${c.name}=${c.image}`).join(', ')}). Name the containers to update in ecs.containers in deployments.yml.`,
    );
  }
  return fromRepository;
}

/**
 * The container-level normalisations; every other field of the container is kept
 * as read, including fields this code (or the SDK) does not know yet.
 */
function normaliseContainer(container: ContainerDefinition): ContainerDefinition {
  const normalised = { ...container };
  if (container.environment) {
    // ECS silently drops an environment entry registered without a value; "" keeps the variable defined as it was read.
    normalised.environment = container.environment.map((entry) => (entry.value === undefined ? { ...entry, value: '' } : entry));
  }
  if (container.portMappings) {
    // appProtocol is an enum like ipcMode: ECS rejects "" (written by ecspresso-style exports) and absent means the same.
    normalised.portMappings = container.portMappings.map((mapping) => {
      if ((mapping.appProtocol as string | undefined) !== '') return mapping;
      const withoutEmpty = { ...mapping };
      delete withoutEmpty.appProtocol;
      return withoutEmpty;
    });
  }
  return normalised;
}

/**
 * Builds the RegisterTaskDefinition input for a new revision: the current one with
 * the image of each named container replaced (`images`: container name → image),
 * read-only keys stripped, explicit nulls and empty enum strings dropped,
 * environment entries without a value given "", everything else kept as it was
 * (template placeholders in strings included: they are the user's text, never
 * interpreted here).
 */
function buildRevisionInput(
  taskDefinition: TaskDefinition,
  tags: Tag[] | undefined,
  images: Record<string, string>,
  deploymentId: string,
  previousRevision?: number,
): RegisterTaskDefinitionCommandInput {
  const copy: Record<string, unknown> = withoutNulls({ ...taskDefinition }) as Record<string, unknown>;
  for (const key of READ_ONLY_TASK_DEFINITION_KEYS) delete copy[key];
  for (const key of EMPTY_MEANS_UNSET_KEYS) if (copy[key] === '') delete copy[key];
  copy.containerDefinitions = (copy.containerDefinitions as ContainerDefinition[]).map((container) => {
    const image = container.name !== undefined && Object.hasOwn(images, container.name) ? images[container.name] : undefined;
    return normaliseContainer(image !== undefined ? { ...container, image } : container);
  });
  // Tags come from the response's top level (include: ['TAGS']); ECS never returns them inside taskDefinition.
  const keptTags = (tags ?? []).filter((tag) => isCopiedTagKey(tag.key));
  // The user's tags win over our markers: without the first, a retried step registers one more revision instead of
  // reusing its own; without the second, it finds the rollback target from the service's older deployment instead.
  const markers = [{ key: DEPLOYMENT_TAG_KEY, value: deploymentId }, ...(previousRevision === undefined ? [] : [{ key: PREVIOUS_REVISION_TAG_KEY, value: String(previousRevision) }])];
  const marker = markers.slice(0, Math.max(0, MAX_TAGS - keptTags.length));
  const allTags = [...keptTags, ...marker];
  if (allTags.length > 0) copy.tags = allTags;
  else delete copy.tags;
  return copy as unknown as RegisterTaskDefinitionCommandInput;
}

/** `arn:…:task-definition/web:42` → `web:42`, for humans. */
function taskDefinitionLabel(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

export { READ_ONLY_TASK_DEFINITION_KEYS, DEPLOYMENT_TAG_KEY, PREVIOUS_REVISION_TAG_KEY, withoutNulls, selectContainers, buildRevisionInput, taskDefinitionLabel };
