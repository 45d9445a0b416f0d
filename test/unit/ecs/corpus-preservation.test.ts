import os from 'node:os';
import path from 'node:path';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand, type Tag, type TaskDefinition } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { targetSchema } from '../../../functions/config/schema';
import { deployNewRevision } from '../../../functions/ecs/service';
import { buildRevisionInput, DEPLOYMENT_TAG_KEY, PREVIOUS_REVISION_TAG_KEY, selectContainers } from '../../../functions/ecs/task-definition';
import type { Deployment } from '../../../functions/shared/deployment';
import { imageRef } from '../../../functions/shared/image';
import { type CorpusEntry, deepCopy, itReportsMissingCorpus, loadCorpus } from '../../support/corpus';
import { deploymentOfTarget } from '../../support/deployments';

/*
 * Every real task definition in ../shared/corpus/ecs is re-registered as if the
 * service ran it, and the RegisterTaskDefinition input must equal the original
 * with only these changes, each one deliberate (see the README's quirk table):
 *   - the chosen container's image is the deployed digest;
 *   - the read-only keys of a describe output are gone;
 *   - explicit nulls are gone (null and absent mean the same to ECS);
 *   - "" ipcMode / pidMode / networkMode / portMappings[].appProtocol are gone (ECS rejects "" enums);
 *   - environment entries without a value get value "" (ECS drops an entry sent without one);
 *   - tags: the revision's own tags, then the deployment marker tag.
 * Everything else, including keys nobody here knows, must come through unchanged,
 * so the expected input is computed from the original by applying only those.
 */

/** The output-only keys of DescribeTaskDefinition (aws-facts §3.1): written out, not imported, so a wrong deny-list fails here. */
const READ_ONLY_KEYS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
];
const EMPTY_MEANS_UNSET_KEYS = ['ipcMode', 'pidMode', 'networkMode'];

const ACCOUNT = '123456789012';
const REGISTRY = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;
const DIGEST = `sha256:${'d'.repeat(64)}`;
const DEPLOYED = imageRef(REGISTRY, 'deployed-app', DIGEST, 'v2.0.0');
const DEPLOYMENT_ID = 'corpus-app-d1234567';

type Json = Record<string, unknown>;

function containersOf(definition: Json): Json[] {
  return (definition.containerDefinitions as Json[] | undefined) ?? [];
}

function arnOf(entry: CorpusEntry): string {
  const arn = entry.definition.taskDefinitionArn;
  return typeof arn === 'string' ? arn : `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/${String(entry.definition.family)}:7`;
}

/**
 * What DescribeTaskDefinition(include: ['TAGS']) returns for this file. Tags live
 * at the top level of the response, never inside taskDefinition, so a file's
 * `tags` (a register input's, or a saved describe output's) move there. A
 * register input gets the read-only fields ECS adds when it registers; its quirks
 * ("" enums, placeholders) stay as written so their handling is exercised.
 */
function describeResponse(entry: CorpusEntry): { taskDefinition: TaskDefinition; tags: Tag[] | undefined } {
  const { tags, ...definition } = deepCopy(entry.definition);
  const added: Json =
    entry.kind === 'register-input'
      ? {
          taskDefinitionArn: arnOf(entry),
          revision: 7,
          status: 'ACTIVE',
          requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
          compatibilities: ['EC2', 'FARGATE'],
          registeredAt: new Date('2026-01-02T03:04:05Z'),
          registeredBy: `arn:aws:iam::${ACCOUNT}:role/deployer`,
        }
      : {};
  return { taskDefinition: { ...definition, ...added } as TaskDefinition, tags: tags as Tag[] | undefined };
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

function expectedContainer(container: Json, target: string): Json {
  const expected: Json = { ...container };
  if (container.name === target) expected.image = DEPLOYED.uri;
  if (Array.isArray(container.environment)) {
    expected.environment = (container.environment as Json[]).map((entry) => ('value' in entry ? entry : { ...entry, value: '' }));
  }
  if (Array.isArray(container.portMappings)) {
    expected.portMappings = (container.portMappings as Json[]).map(({ appProtocol, ...mapping }) =>
      appProtocol === '' || appProtocol === undefined ? mapping : { ...mapping, appProtocol },
    );
  }
  return expected;
}

/** The original definition with only the documented normalisations applied. */
/** What RegisterTaskDefinition should receive: the file unchanged but for the image, with our markers (the previous revision's when given). */
function expectedInput(entry: CorpusEntry, target: string, previousRevision?: number): Json {
  const { tags, ...definition } = dropNulls(deepCopy(entry.definition)) as Json;
  for (const key of READ_ONLY_KEYS) delete definition[key];
  for (const key of EMPTY_MEANS_UNSET_KEYS) if (definition[key] === '') delete definition[key];
  definition.containerDefinitions = containersOf(definition).map((container) => expectedContainer(container, target));
  const ownTags = ((tags as Tag[] | undefined) ?? []).filter((tag) => tag.key !== DEPLOYMENT_TAG_KEY);
  const markers = [{ key: DEPLOYMENT_TAG_KEY, value: DEPLOYMENT_ID }, ...(previousRevision === undefined ? [] : [{ key: PREVIOUS_REVISION_TAG_KEY, value: String(previousRevision) }])];
  return { ...definition, tags: [...ownTags, ...markers.slice(0, 50 - ownTags.length)] };
}

function deploymentFor(container: string): Deployment {
  return deploymentOfTarget({ name: 'corpus-app', repository: DEPLOYED.repository, ecs: { cluster: 'corpus', service: 'app', containers: [container] } }, DEPLOYED, {
    id: DEPLOYMENT_ID,
    trigger: { kind: 'manual' },
  });
}

const corpus = loadCorpus('ecs');

describe('corpus preservation: ECS task definitions in ../shared/corpus/ecs', () => {
  if (corpus.missing !== undefined) {
    itReportsMissingCorpus(corpus);
    return;
  }

  it('finds corpus files to test', () => {
    expect(corpus.entries.length).toBeGreaterThan(0);
  });

  it.each(corpus.entries)('re-registers $file with only the chosen container image changed, for each container in turn', (entry) => {
    const { taskDefinition, tags } = describeResponse(entry);
    const asDescribed = deepCopy(taskDefinition);
    const names = containersOf(entry.definition).map((container) => String(container.name));
    expect(names.length).toBeGreaterThan(0);

    const actual = Object.fromEntries(
      names.map((name) => {
        const selected = selectContainers(taskDefinition, DEPLOYED.repository, [name]).map((container) => container.name);
        expect(selected).toEqual([name]);
        return [name, buildRevisionInput(taskDefinition, tags, { [name]: DEPLOYED.uri }, DEPLOYMENT_ID)];
      }),
    );

    expect(actual).toStrictEqual(Object.fromEntries(names.map((name) => [name, expectedInput(entry, name)])));
    expect(taskDefinition).toStrictEqual(asDescribed);
  });

  it.each(corpus.entries)('keeps the image of every other container of $file, even one with the same image', (entry) => {
    const { taskDefinition, tags } = describeResponse(entry);
    const originals = containersOf(entry.definition);
    for (const target of originals) {
      const input = buildRevisionInput(taskDefinition, tags, { [String(target.name)]: DEPLOYED.uri }, DEPLOYMENT_ID);
      const images = (input.containerDefinitions ?? []).map((container) => container.image);
      expect(images).toEqual(originals.map((container) => (container === target ? DEPLOYED.uri : container.image)));
    }
  });

  describe('through deployNewRevision', () => {
    const ecsMock = mockClient(ECSClient);

    beforeEach(() => {
      ecsMock.reset();
    });

    afterAll(() => {
      ecsMock.restore();
    });

    it.each(corpus.entries)('sends RegisterTaskDefinition for $file with only the first container image changed', async (entry) => {
      const described = describeResponse(entry);
      const asDescribed = deepCopy(described);
      const [first] = containersOf(entry.definition);
      const name = String(first?.name);
      const newArn = `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/${String(entry.definition.family)}:8`;
      // The service runs the family's latest revision, not tagged by this deployment: a new revision is registered.
      ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'app', status: 'ACTIVE', taskDefinition: arnOf(entry) }] });
      ecsMock.on(DescribeTaskDefinitionCommand).resolves(described);
      ecsMock.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: newArn } });
      ecsMock.on(UpdateServiceCommand).resolves({ service: { deployments: [{ id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: newArn }] } });

      const progress = await deployNewRevision(deploymentFor(name));

      const registered = ecsMock.commandCalls(RegisterTaskDefinitionCommand).map((call) => call.args[0].input);
      expect(registered).toStrictEqual([expectedInput(entry, name, described.taskDefinition.revision)]);
      expect(progress.newTaskDefinitionArn).toBe(newArn);
      expect(progress.containers).toEqual([{ name, target: 'corpus-app', previousImage: first?.image, image: DEPLOYED.uri }]);
      expect(described).toStrictEqual(asDescribed);
    });
  });
});

describe('corpus loader', () => {
  it('names the missing folder when the corpus is absent', () => {
    const root = path.join(os.tmpdir(), `no-corpus-${process.pid}`, 'shared', 'corpus');

    const absent = loadCorpus('ecs', root);

    expect(absent.entries).toEqual([]);
    expect(absent.missing).toBe(path.relative(path.resolve(__dirname, '../../..'), root));
  });
});
