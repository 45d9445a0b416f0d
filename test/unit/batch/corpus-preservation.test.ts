import { BatchClient, DescribeJobDefinitionsCommand, type DescribeJobDefinitionsCommandInput, type JobDefinition, RegisterJobDefinitionCommand } from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { buildJobDefinitionRevisionInput, replacingWith, DEPLOYMENT_TAG_KEY, selectImageSlots } from '../../../functions/batch/job-definition';
import { registerJobDefinitionRevision } from '../../../functions/batch/job-definitions';
import { targetSchema } from '../../../functions/config/schema';
import type { Deployment } from '../../../functions/shared/deployment';
import { type ImageRef, imageRef } from '../../../functions/shared/image';
import { type CorpusEntry, deepCopy, itReportsMissingCorpus, loadCorpus } from '../../support/corpus';
import { deploymentOfTarget } from '../../support/deployments';

/*
 * Every real job definition in ../shared/corpus/batch is re-registered as if it
 * were the latest ACTIVE revision, and the RegisterJobDefinition input must equal
 * the original with only these changes, each one deliberate (see the README's
 * quirk list):
 *   - the image is the deployed `<registry>/<repository>@sha256:…`, in every place
 *     the job names it: `containerProperties.image`, or, for a multinode job,
 *     `nodeProperties.nodeRangeProperties[].container.image`. Each corpus job names
 *     a single image, a placeholder (`__image__`, `REPLACE_IMAGE_URI`, …) or an
 *     ECR image, so that image is the one replaced;
 *   - the read-only keys of a describe output are gone;
 *   - explicit nulls are gone (null and absent mean the same to Batch);
 *   - tags: the revision's own tags (a map, as Batch returns them), without a
 *     previous deployment's marker, then this deployment's marker tag.
 * Everything else comes through unchanged: resources, legacy vcpus/memory,
 * environment, secrets, roles, retry strategy, timeout, platform capabilities,
 * parameters and their Ref:: uses, linuxParameters, EFS volumes, empty arrays and
 * objects, propagateTags, and keys nobody here knows, a stray `_comment` included:
 * it stays in the input because the SDK serialises only the members Batch models
 * (job-definition.test.ts checks the request body), so it never reaches Batch.
 */

/** The output-only keys of DescribeJobDefinitions (aws-facts §4.1): written out, not imported, so a wrong deny-list fails here. */
const READ_ONLY_KEYS = ['jobDefinitionArn', 'revision', 'status', 'containerOrchestrationType'];

const ACCOUNT = '123456789012';
const DIGEST = `sha256:${'d'.repeat(64)}`;
/** Deployed into jobs whose image is a placeholder: a registry and repository the corpus does not name. */
const DEFAULT_DEPLOYED = imageRef(`${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`, 'deployed-job', DIGEST, 'v2.0.0');
const DEPLOYMENT_ID = 'corpus-job-d1234567';
const REVISION = 7;

type Json = Record<string, unknown>;
type PathPart = string | number;

/** A place the job names an image, found by this test on its own (not by the code under test). */
interface ImagePlace {
  path: PathPart[];
  label: string;
  image: string;
}

function record(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function namedContainerPlaces(containers: unknown, path: PathPart[], where: string): ImagePlace[] {
  if (!Array.isArray(containers)) return [];
  return containers.flatMap((container: Json, index) =>
    typeof container.image === 'string' ? [{ path: [...path, index, 'image'], label: `${where}container "${String(container.name)}"`, image: container.image }] : [],
  );
}

function placesIn(holder: Json, single: 'containerProperties' | 'container', path: PathPart[], where: string): ImagePlace[] {
  const places: ImagePlace[] = [];
  const image = record(holder[single])?.image;
  if (typeof image === 'string') places.push({ path: [...path, single, 'image'], label: `${where}${single}`, image });
  const tasks = record(holder.ecsProperties)?.taskProperties;
  if (Array.isArray(tasks)) tasks.forEach((task: Json, index) => places.push(...namedContainerPlaces(task.containers, [...path, 'ecsProperties', 'taskProperties', index, 'containers'], where)));
  const pod = record(record(holder.eksProperties)?.podProperties);
  if (pod) {
    places.push(...namedContainerPlaces(pod.initContainers, [...path, 'eksProperties', 'podProperties', 'initContainers'], where));
    places.push(...namedContainerPlaces(pod.containers, [...path, 'eksProperties', 'podProperties', 'containers'], where));
  }
  return places;
}

/** Where the Batch API puts images: the job's own container/ECS/EKS properties, or each node range's. */
function imagePlaces(definition: Json): ImagePlace[] {
  const ranges = record(definition.nodeProperties)?.nodeRangeProperties;
  const inRanges = Array.isArray(ranges)
    ? ranges.flatMap((range: Json, index) => placesIn(range, 'container', ['nodeProperties', 'nodeRangeProperties', index], `node range ${String(range.targetNodes)} `))
    : [];
  return [...placesIn(definition, 'containerProperties', [], ''), ...inRanges];
}

function valueAt(value: unknown, path: PathPart[]): unknown {
  return path.reduce<unknown>((node, part) => (node as Record<PathPart, unknown> | undefined)?.[part], value);
}

function setAt(target: Json, path: PathPart[], value: unknown): void {
  const parent = valueAt(target, path.slice(0, -1)) as Record<PathPart, unknown>;
  parent[path[path.length - 1] as PathPart] = value;
}

function nameOf(entry: CorpusEntry): string {
  return String(entry.definition.jobDefinitionName);
}

function arnOf(entry: CorpusEntry, revision: number): string {
  return `arn:aws:batch:us-east-1:${ACCOUNT}:job-definition/${nameOf(entry)}:${revision}`;
}

/**
 * What DescribeJobDefinitions returns for this file. A register input gets the
 * read-only fields Batch adds when it registers; its tags stay the map it wrote,
 * which is also how Batch returns them. Quirks (placeholders, `_comment`) stay as
 * written so their handling is exercised.
 */
function describedAs(entry: CorpusEntry, tags?: Record<string, string>): JobDefinition {
  const definition = deepCopy(entry.definition);
  const added: Json =
    entry.kind === 'register-input'
      ? {
          jobDefinitionArn: arnOf(entry, REVISION),
          revision: REVISION,
          status: 'ACTIVE',
          containerOrchestrationType: definition.eksProperties ? 'EKS' : 'ECS',
        }
      : {};
  return { ...definition, ...added, ...(tags ? { tags } : {}) } as JobDefinition;
}

/** An ECR image is deployed from its own repository (chosen by repository); a placeholder gets DEFAULT_DEPLOYED (chosen as the job's single image). */
function deployedFor(entry: CorpusEntry): ImageRef {
  const [image] = new Set(imagePlaces(entry.definition).map((place) => place.image));
  const ecr = /^(\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com)\/([^:@]+)/.exec(image ?? '');
  return ecr?.[1] && ecr[2] ? imageRef(ecr[1], ecr[2], DIGEST) : DEFAULT_DEPLOYED;
}

function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, item]) => item !== null)
      .map(([key, item]) => [key, dropNulls(item)]),
  );
}

/** The original definition with only the documented normalisations applied. */
function expectedInput(entry: CorpusEntry, imageUri: string, tags: unknown = entry.definition.tags): Json {
  const definition = dropNulls(deepCopy(entry.definition)) as Json;
  for (const key of READ_ONLY_KEYS) delete definition[key];
  for (const place of imagePlaces(definition)) setAt(definition, place.path, imageUri);
  const ownTags = Object.fromEntries(Object.entries((tags as Record<string, string> | undefined) ?? {}).filter(([key]) => key !== DEPLOYMENT_TAG_KEY));
  return { ...definition, tags: { ...ownTags, [DEPLOYMENT_TAG_KEY]: DEPLOYMENT_ID } };
}

function deploymentFor(entry: CorpusEntry, image: ImageRef): Deployment {
  return deploymentOfTarget({ name: 'corpus-job', repository: image.repository, batch: { jobDefinition: nameOf(entry) } }, image, { id: DEPLOYMENT_ID, trigger: { kind: 'manual' } });
}

function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

const corpus = loadCorpus('batch');

describe('corpus preservation: Batch job definitions in ../shared/corpus/batch', () => {
  if (corpus.missing !== undefined) {
    itReportsMissingCorpus(corpus);
    return;
  }

  it('finds corpus files to test', () => {
    expect(corpus.entries.length).toBeGreaterThan(0);
  });

  it.each(corpus.entries)('re-registers $file with only its image replaced by digest', (entry) => {
    const jobDefinition = describedAs(entry);
    const asDescribed = deepCopy(jobDefinition);
    const deployed = deployedFor(entry);
    const places = imagePlaces(entry.definition);
    expect(places.length).toBeGreaterThan(0);
    expect(new Set(places.map((place) => place.image)).size).toBe(1);

    const slots = selectImageSlots(jobDefinition, deployed.repository, deployed.registry);
    const input = buildJobDefinitionRevisionInput(jobDefinition, replacingWith(slots, deployed.uri), DEPLOYMENT_ID);

    expect(slots.map((slot) => ({ path: slot.path, label: slot.label, image: slot.image }))).toStrictEqual(places);
    expect(input).toStrictEqual(expectedInput(entry, deployed.uri));
    expect(jobDefinition).toStrictEqual(asDescribed);
  });

  it.each(corpus.entries)('puts the digest of $file exactly in the image places of its shape and nowhere else', (entry) => {
    const jobDefinition = describedAs(entry);
    const deployed = deployedFor(entry);
    const places = imagePlaces(entry.definition);

    const input = buildJobDefinitionRevisionInput(jobDefinition, replacingWith(selectImageSlots(jobDefinition, deployed.repository, deployed.registry), deployed.uri), DEPLOYMENT_ID);

    expect(deployed.uri).toMatch(/^[^/]+\/[^@]+@sha256:[0-9a-f]{64}$/);
    for (const place of places) expect(valueAt(input, place.path)).toBe(deployed.uri);
    expect(occurrences(JSON.stringify(input), deployed.uri)).toBe(places.length);
    if (entry.definition.type === 'multinode') {
      expect(input).not.toHaveProperty('containerProperties');
      expect(places.every((place) => place.path[0] === 'nodeProperties' && place.path.at(-2) === 'container')).toBe(true);
    } else {
      expect(places.map((place) => place.path)).toEqual([['containerProperties', 'image']]);
    }
  });

  it.each(corpus.entries)('keeps every top-level key of $file but the read-only ones, unknown keys such as _comment included', (entry) => {
    const jobDefinition = describedAs(entry);
    const deployed = deployedFor(entry);

    const input = buildJobDefinitionRevisionInput(jobDefinition, replacingWith(selectImageSlots(jobDefinition, deployed.repository, deployed.registry), deployed.uri), DEPLOYMENT_ID);

    const written = Object.keys(entry.definition).filter((key) => !READ_ONLY_KEYS.includes(key) && entry.definition[key] !== null);
    expect(Object.keys(input).sort()).toEqual([...new Set([...written, 'tags'])].sort());
    for (const key of READ_ONLY_KEYS) expect(input).not.toHaveProperty(key);
    if ('_comment' in entry.definition) expect(input).toHaveProperty('_comment', entry.definition._comment);
  });

  describe('through registerJobDefinitionRevision', () => {
    const batchMock = mockClient(BatchClient);

    beforeEach(() => {
      batchMock.reset();
    });

    afterAll(() => {
      batchMock.restore();
    });

    it.each(corpus.entries)('sends RegisterJobDefinition for $file built from its highest ACTIVE revision, read over two pages', async (entry) => {
      const name = nameOf(entry);
      // The revision as an earlier deployment left it: its own tags, a team tag and that deployment's marker.
      const previousTags = { ...(entry.definition.tags as Record<string, string> | undefined), team: 'research', [DEPLOYMENT_TAG_KEY]: 'corpus-job-previous' };
      const latest = describedAs(entry, previousTags);
      const older: JobDefinition = {
        jobDefinitionName: name,
        jobDefinitionArn: arnOf(entry, REVISION - 1),
        revision: REVISION - 1,
        status: 'ACTIVE',
        type: 'container',
        containerProperties: { image: 'public.ecr.aws/docker/library/busybox:1.36', command: ['false'] },
      };
      const asDescribed = deepCopy(latest);
      const deployed = deployedFor(entry);
      const newArn = arnOf(entry, REVISION + 1);
      const pages: DescribeJobDefinitionsCommandInput[] = [];
      batchMock.on(DescribeJobDefinitionsCommand).callsFake((input: DescribeJobDefinitionsCommandInput) => {
        pages.push({ ...input });
        return input.nextToken === 'page-2' ? { jobDefinitions: [latest] } : { jobDefinitions: [older], nextToken: 'page-2' };
      });
      batchMock.on(RegisterJobDefinitionCommand).resolves({ jobDefinitionName: name, jobDefinitionArn: newArn, revision: REVISION + 1 });

      const progress = await registerJobDefinitionRevision(deploymentFor(entry, deployed));

      expect(pages).toEqual([
        { jobDefinitionName: name, status: 'ACTIVE' },
        { jobDefinitionName: name, status: 'ACTIVE', nextToken: 'page-2' },
      ]);
      const registered = batchMock.commandCalls(RegisterJobDefinitionCommand).map((call) => call.args[0].input);
      expect(registered).toStrictEqual([expectedInput(entry, deployed.uri, previousTags)]);
      expect(progress).toStrictEqual({
        jobDefinitionName: name,
        previousJobDefinitionArn: arnOf(entry, REVISION),
        newJobDefinitionArn: newArn,
        containers: imagePlaces(entry.definition).map((place) => ({ name: place.label, target: 'corpus-job', previousImage: place.image, image: deployed.uri })),
      });
      expect(latest).toStrictEqual(asDescribed);
    });
  });
});
