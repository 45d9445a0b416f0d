import type { JobDefinition, RegisterJobDefinitionCommandInput } from '@aws-sdk/client-batch';
import { DEPLOYMENT_TAG_KEY, isCopiedTagKey, withoutNulls } from '../shared/definition';
import { ContainerNotFound } from '../shared/errors';
import { parseImageReference } from '../shared/image';

/**
 * Keys DescribeJobDefinitions returns that RegisterJobDefinition does not take.
 * A deny-list, as for ECS: every other field, known to this code or not, is kept.
 */
const READ_ONLY_JOB_DEFINITION_KEYS = ['jobDefinitionArn', 'revision', 'status', 'containerOrchestrationType'] as const;

/** AWS Batch allows at most 50 tags per resource. */
const MAX_TAGS = 50;

type PathPart = string | number;

/** A place in a job definition where an image is named. */
interface ImageSlot {
  path: PathPart[];
  /** Container name, where the shape has one (ECS and EKS properties). */
  name?: string;
  /** Where it is, for people: `containerProperties`, `node range 0:`, `container "app"`. */
  label: string;
  image: string;
}

interface NamedContainer {
  name?: string;
  image?: string;
}

type Json = Record<string, unknown>;

function asRecord(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function containerSlots(containers: unknown, path: PathPart[], where: string): ImageSlot[] {
  if (!Array.isArray(containers)) return [];
  return (containers as NamedContainer[]).flatMap((container, index) =>
    typeof container.image === 'string'
      ? [{ path: [...path, index, 'image'], name: container.name, label: `${where}container "${container.name ?? index}"`, image: container.image }]
      : [],
  );
}

/** Image slots of the shapes a job (or a node range) may have: container, ECS or EKS properties. */
function slotsOf(holder: Json, path: PathPart[], where: string): ImageSlot[] {
  const slots: ImageSlot[] = [];
  const single = asRecord(holder.containerProperties ?? holder.container);
  const singleKey = holder.containerProperties ? 'containerProperties' : 'container';
  if (single && typeof single.image === 'string') slots.push({ path: [...path, singleKey, 'image'], label: `${where}${singleKey}`, image: single.image });
  const tasks = asRecord(holder.ecsProperties)?.taskProperties;
  if (Array.isArray(tasks)) {
    tasks.forEach((task, index) => slots.push(...containerSlots(asRecord(task)?.containers, [...path, 'ecsProperties', 'taskProperties', index, 'containers'], where)));
  }
  const pod = asRecord(asRecord(holder.eksProperties)?.podProperties);
  if (pod) {
    slots.push(...containerSlots(pod.initContainers, [...path, 'eksProperties', 'podProperties', 'initContainers'], where));
    slots.push(...containerSlots(pod.containers, [...path, 'eksProperties', 'podProperties', 'containers'], where));
  }
  return slots;
}

/** Every place the job definition names an image, multi-node ranges included. */
function findImageSlots(jobDefinition: JobDefinition): ImageSlot[] {
  const definition = jobDefinition as unknown as Json;
  const slots = slotsOf(definition, [], '');
  const ranges = asRecord(definition.nodeProperties)?.nodeRangeProperties;
  if (Array.isArray(ranges)) {
    ranges.forEach((range, index) => {
      const record = asRecord(range);
      if (record) slots.push(...slotsOf(record, ['nodeProperties', 'nodeRangeProperties', index], `node range ${String(record.targetNodes ?? index)} `));
    });
  }
  return slots;
}

/**
 * Which images take the new one: the named containers; else those from the
 * repository (in `registry`); else, when the whole job names a single image
 * (one container, or every node range alike — a placeholder such as
 * `__image__` included), all of them.
 */
function selectImageSlots(jobDefinition: JobDefinition, repository: string, registry: string, configured?: string[]): ImageSlot[] {
  const slots = findImageSlots(jobDefinition);
  const name = jobDefinition.jobDefinitionName ?? 'the job definition';
  if (configured && configured.length > 0) {
    const missing = configured.filter((c) => !slots.some((slot) => slot.name === c));
    if (missing.length > 0) {
      throw new ContainerNotFound(
        `${name} has no container named ${missing.map((m) => `"${m}"`).join(', ')} (it has ${slots.map((s) => s.label).join(', ') || 'no containers'}). Fix batch.containers in deployments.yml.`,
      );
    }
    return slots.filter((slot) => slot.name !== undefined && configured.includes(slot.name));
  }
  const fromRepository = slots.filter((slot) => {
    const image = parseImageReference(slot.image);
    return image.repository === repository && image.registry === registry;
  });
  if (fromRepository.length > 0) return fromRepository;
  if (slots.length > 0 && new Set(slots.map((slot) => slot.image)).size === 1) return slots;
  throw new ContainerNotFound(
    `no container of ${name} runs an image from ${registry}/${repository} (${slots.map((s) => `${s.label}=${s.image}`).join(', ') || 'no containers'}). Name the containers to update in batch.containers in deployments.yml.`,
  );
}

function setAtPath(target: Json, path: PathPart[], value: unknown): void {
  let node: unknown = target;
  for (const part of path.slice(0, -1)) node = (node as Record<PathPart, unknown>)[part];
  (node as Record<PathPart, unknown>)[path[path.length - 1] as PathPart] = value;
}

/** A place in the job definition and the image it gets. */
interface ImageReplacement {
  slot: ImageSlot;
  imageUri: string;
}

/**
 * The RegisterJobDefinition input for a new revision: the current one with each
 * replacement's image put in its place, read-only keys and explicit nulls
 * dropped, tags kept plus the deployment marker, everything else as it was.
 */
function buildJobDefinitionRevisionInput(jobDefinition: JobDefinition, replacements: ImageReplacement[], deploymentId: string): RegisterJobDefinitionCommandInput {
  const copy = withoutNulls(jsonCopy(jobDefinition)) as unknown as Json;
  for (const key of READ_ONLY_JOB_DEFINITION_KEYS) delete copy[key];
  for (const { slot, imageUri } of replacements) setAtPath(copy, slot.path, imageUri);
  const tags = Object.fromEntries(Object.entries((copy.tags as Record<string, string> | undefined) ?? {}).filter(([key]) => isCopiedTagKey(key)));
  if (Object.keys(tags).length < MAX_TAGS) tags[DEPLOYMENT_TAG_KEY] = deploymentId;
  copy.tags = tags;
  return copy as unknown as RegisterJobDefinitionCommandInput;
}

/** The same image in every one of `slots`. */
function replacingWith(slots: ImageSlot[], imageUri: string): ImageReplacement[] {
  return slots.map((slot) => ({ slot, imageUri }));
}

/** A deep copy of JSON-shaped data (job definitions hold no dates). */
function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** `arn:…:job-definition/splitter:12` → `splitter:12`, for humans. */
function jobDefinitionLabel(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

export { READ_ONLY_JOB_DEFINITION_KEYS, DEPLOYMENT_TAG_KEY, findImageSlots, selectImageSlots, buildJobDefinitionRevisionInput, replacingWith, jobDefinitionLabel };
export type { ImageSlot, ImageReplacement };
