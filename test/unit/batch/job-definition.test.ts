import { BatchClient, RegisterJobDefinitionCommand, type JobDefinition } from '@aws-sdk/client-batch';
import {
  buildJobDefinitionRevisionInput,
  replacingWith,
  DEPLOYMENT_TAG_KEY,
  findImageSlots,
  type ImageSlot,
  jobDefinitionLabel,
  READ_ONLY_JOB_DEFINITION_KEYS,
  selectImageSlots,
} from '../../../functions/batch/job-definition';
import { ContainerNotFound } from '../../../functions/shared/errors';
import { deepCopy } from '../../support/corpus';

const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const OTHER_REGISTRY = '999999999999.dkr.ecr.us-east-1.amazonaws.com';
const REPOSITORY = 'splitter';
const OURS = `${REGISTRY}/${REPOSITORY}:v1`;
const NEW_IMAGE = `${REGISTRY}/${REPOSITORY}@sha256:${'b'.repeat(64)}`;
const DEPLOYMENT_ID = 'splitter-bbbbbbbbbbbb';
const MARKER = { [DEPLOYMENT_TAG_KEY]: DEPLOYMENT_ID };
const ARN = 'arn:aws:batch:us-east-1:123456789012:job-definition/splitter:12';

/** What every revision here has: the read-only keys of a describe output included. */
const BASE = {
  jobDefinitionName: 'splitter',
  jobDefinitionArn: ARN,
  revision: 12,
  status: 'ACTIVE',
  type: 'container',
  containerOrchestrationType: 'ECS',
};

/** A job definition as DescribeJobDefinitions returns it; extra keys (unknown to the SDK types) allowed. */
function described(fields: Record<string, unknown> = {}): JobDefinition {
  return { ...BASE, containerProperties: { image: OURS, command: ['split', 'Ref::input'] }, ...fields } as JobDefinition;
}

/** A job whose shape is given whole (no containerProperties unless the fields say so). */
function job(fields: Record<string, unknown>): JobDefinition {
  return { ...BASE, ...fields } as JobDefinition;
}

function pathsOf(slots: ImageSlot[]): (string | number)[][] {
  return slots.map((slot) => slot.path);
}

function caught(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, got none');
}

const twoRanges = (first: string, second: string) =>
  job({
    type: 'multinode',
    nodeProperties: {
      numNodes: 4,
      mainNode: 0,
      nodeRangeProperties: [
        { targetNodes: '0', container: { image: first, vcpus: 4, memory: 8192, command: ['main'] } },
        { targetNodes: '1:', container: { image: second, vcpus: 2, memory: 4096, command: ['worker'] } },
      ],
    },
  });

const ecsJob = (containers: Record<string, unknown>[]) =>
  job({
    containerOrchestrationType: 'ECS',
    platformCapabilities: ['FARGATE'],
    ecsProperties: {
      taskProperties: [
        {
          executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
          networkConfiguration: { assignPublicIp: 'DISABLED' },
          containers,
        },
      ],
    },
  });

const eksJob = (initContainers: Record<string, unknown>[], containers: Record<string, unknown>[]) =>
  job({
    containerOrchestrationType: 'EKS',
    eksProperties: { podProperties: { serviceAccountName: 'splitter', hostNetwork: false, initContainers, containers } },
  });

describe('findImageSlots', () => {
  it('finds the image of containerProperties', () => {
    expect(findImageSlots(described())).toStrictEqual([{ path: ['containerProperties', 'image'], label: 'containerProperties', image: OURS }]);
  });

  it('finds the image of every node range of a multinode job, and no top-level container', () => {
    expect(findImageSlots(twoRanges(OURS, 'public.ecr.aws/docker/library/busybox:1.36'))).toStrictEqual([
      { path: ['nodeProperties', 'nodeRangeProperties', 0, 'container', 'image'], label: 'node range 0 container', image: OURS },
      { path: ['nodeProperties', 'nodeRangeProperties', 1, 'container', 'image'], label: 'node range 1: container', image: 'public.ecr.aws/docker/library/busybox:1.36' },
    ]);
  });

  it('finds every named container of every ECS task of ecsProperties', () => {
    const definition = job({
      ecsProperties: {
        taskProperties: [
          { containers: [{ name: 'app', image: OURS }, { name: 'log_router', image: 'amazon/aws-for-fluent-bit:stable' }] },
          { containers: [{ name: 'second', image: 'busybox' }] },
        ],
      },
    });

    expect(findImageSlots(definition)).toStrictEqual([
      { path: ['ecsProperties', 'taskProperties', 0, 'containers', 0, 'image'], name: 'app', label: 'container "app"', image: OURS },
      { path: ['ecsProperties', 'taskProperties', 0, 'containers', 1, 'image'], name: 'log_router', label: 'container "log_router"', image: 'amazon/aws-for-fluent-bit:stable' },
      { path: ['ecsProperties', 'taskProperties', 1, 'containers', 0, 'image'], name: 'second', label: 'container "second"', image: 'busybox' },
    ]);
  });

  it('finds the EKS init containers and containers of eksProperties', () => {
    const definition = eksJob([{ name: 'fetch', image: 'public.ecr.aws/aws-cli/aws-cli:2' }], [{ name: 'main', image: OURS }]);

    expect(findImageSlots(definition)).toStrictEqual([
      { path: ['eksProperties', 'podProperties', 'initContainers', 0, 'image'], name: 'fetch', label: 'container "fetch"', image: 'public.ecr.aws/aws-cli/aws-cli:2' },
      { path: ['eksProperties', 'podProperties', 'containers', 0, 'image'], name: 'main', label: 'container "main"', image: OURS },
    ]);
  });

  it('finds the ECS containers of a node range that holds ecsProperties', () => {
    const definition = job({
      type: 'multinode',
      nodeProperties: {
        numNodes: 2,
        mainNode: 0,
        nodeRangeProperties: [{ targetNodes: '0:1', ecsProperties: { taskProperties: [{ containers: [{ name: 'mpi', image: OURS }] }] } }],
      },
    });

    expect(findImageSlots(definition)).toStrictEqual([
      { path: ['nodeProperties', 'nodeRangeProperties', 0, 'ecsProperties', 'taskProperties', 0, 'containers', 0, 'image'], name: 'mpi', label: 'node range 0:1 container "mpi"', image: OURS },
    ]);
  });

  it('finds nothing in a job without an image, and skips explicit nulls of a describe output', () => {
    expect(findImageSlots(job({ containerProperties: null, nodeProperties: null, ecsProperties: null, eksProperties: null }))).toStrictEqual([]);
  });
});

describe('selectImageSlots', () => {
  it('selects the image of containerProperties from the repository', () => {
    expect(pathsOf(selectImageSlots(described(), REPOSITORY, REGISTRY))).toEqual([['containerProperties', 'image']]);
  });

  it('selects every node range when all run the same image', () => {
    expect(pathsOf(selectImageSlots(twoRanges(OURS, OURS), REPOSITORY, REGISTRY))).toEqual([
      ['nodeProperties', 'nodeRangeProperties', 0, 'container', 'image'],
      ['nodeProperties', 'nodeRangeProperties', 1, 'container', 'image'],
    ]);
  });

  it('selects every node range when all run the same placeholder image, because the job names a single image', () => {
    expect(pathsOf(selectImageSlots(twoRanges('__image__', '__image__'), REPOSITORY, REGISTRY))).toEqual([
      ['nodeProperties', 'nodeRangeProperties', 0, 'container', 'image'],
      ['nodeProperties', 'nodeRangeProperties', 1, 'container', 'image'],
    ]);
  });

  it('selects only the node range whose image comes from the repository when the ranges differ', () => {
    const definition = twoRanges('public.ecr.aws/docker/library/busybox:1.36', `${REGISTRY}/${REPOSITORY}@sha256:${'a'.repeat(64)}`);

    expect(pathsOf(selectImageSlots(definition, REPOSITORY, REGISTRY))).toEqual([['nodeProperties', 'nodeRangeProperties', 1, 'container', 'image']]);
  });

  it('selects a placeholder image of containerProperties, because the job names a single image', () => {
    for (const placeholder of ['__image__', 'REPLACE_IMAGE_URI', 'REPLACE_WITH_ECR_IMAGE_URI']) {
      const slots = selectImageSlots(described({ containerProperties: { image: placeholder } }), REPOSITORY, REGISTRY);

      expect(slots).toStrictEqual([{ path: ['containerProperties', 'image'], label: 'containerProperties', image: placeholder }]);
    }
  });

  it('selects the only image of a job even when it comes from elsewhere: the target names the job definition', () => {
    const definition = described({ containerProperties: { image: `${OTHER_REGISTRY}/${REPOSITORY}:v1` } });

    expect(pathsOf(selectImageSlots(definition, REPOSITORY, REGISTRY))).toEqual([['containerProperties', 'image']]);
  });

  it('selects, by default, the ECS containers whose image comes from the repository in the registry', () => {
    const definition = ecsJob([
      { name: 'app', image: OURS },
      { name: 'same-name-elsewhere', image: `${OTHER_REGISTRY}/${REPOSITORY}:v1` },
      { name: 'docker-hub', image: `${REPOSITORY}:v1` },
      { name: 'log_router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable' },
      { name: 'pinned', image: `${REGISTRY}/${REPOSITORY}@sha256:${'a'.repeat(64)}` },
    ]);

    expect(selectImageSlots(definition, REPOSITORY, REGISTRY).map((slot) => slot.name)).toEqual(['app', 'pinned']);
  });

  it('does not select an image of the same repository name in another registry', () => {
    const definition = twoRanges(`${OTHER_REGISTRY}/${REPOSITORY}:v1`, OURS);

    expect(pathsOf(selectImageSlots(definition, REPOSITORY, REGISTRY))).toEqual([['nodeProperties', 'nodeRangeProperties', 1, 'container', 'image']]);
  });

  it('throws ContainerNotFound when the only image of the repository name is in another registry beside a second image', () => {
    const definition = ecsJob([
      { name: 'app', image: `${OTHER_REGISTRY}/${REPOSITORY}:v1` },
      { name: 'log_router', image: 'amazon/aws-for-fluent-bit:stable' },
    ]);

    const error = caught(() => selectImageSlots(definition, REPOSITORY, REGISTRY));

    expect(error).toBeInstanceOf(ContainerNotFound);
    expect(error.message).toContain(`container "app"=${OTHER_REGISTRY}/${REPOSITORY}:v1`);
  });

  it('selects the configured ECS containers only, even when another runs the same image', () => {
    const definition = ecsJob([
      { name: 'healthy', image: 'busybox:latest' },
      { name: 'healthy-dependency', image: 'busybox:latest' },
    ]);

    expect(selectImageSlots(definition, REPOSITORY, REGISTRY, ['healthy']).map((slot) => slot.name)).toEqual(['healthy']);
  });

  it('selects the configured containers even when their image comes from another repository', () => {
    const definition = ecsJob([
      { name: 'app', image: '<IMAGE1_NAME>' },
      { name: 'ours', image: OURS },
    ]);

    expect(selectImageSlots(definition, REPOSITORY, REGISTRY, ['app']).map((slot) => slot.name)).toEqual(['app']);
  });

  it('throws ContainerNotFound naming the missing container, the containers there are, and what to fix', () => {
    const definition = ecsJob([
      { name: 'app', image: OURS },
      { name: 'log_router', image: 'amazon/aws-for-fluent-bit:stable' },
    ]);

    const error = caught(() => selectImageSlots(definition, REPOSITORY, REGISTRY, ['ap', 'app']));

    expect(error).toBeInstanceOf(ContainerNotFound);
    expect(error.name).toBe('ContainerNotFound');
    expect(error.message).toBe('splitter has no container named "ap" (it has container "app", container "log_router"). Fix batch.containers in deployments.yml.');
  });

  it('throws ContainerNotFound when containers are configured for a containerProperties job, which has no named containers', () => {
    const error = caught(() => selectImageSlots(described(), REPOSITORY, REGISTRY, ['app']));

    expect(error).toBeInstanceOf(ContainerNotFound);
    expect(error.message).toBe('splitter has no container named "app" (it has containerProperties). Fix batch.containers in deployments.yml.');
  });

  it('selects, by default, the EKS containers and init containers from the repository', () => {
    const definition = eksJob(
      [
        { name: 'migrate', image: OURS },
        { name: 'fetch', image: 'public.ecr.aws/aws-cli/aws-cli:2' },
      ],
      [
        { name: 'main', image: OURS },
        { name: 'sidecar', image: 'public.ecr.aws/docker/library/busybox:1.36' },
      ],
    );

    expect(pathsOf(selectImageSlots(definition, REPOSITORY, REGISTRY))).toEqual([
      ['eksProperties', 'podProperties', 'initContainers', 0, 'image'],
      ['eksProperties', 'podProperties', 'containers', 0, 'image'],
    ]);
  });

  it('selects the configured EKS init container by name', () => {
    const definition = eksJob([{ name: 'fetch', image: 'public.ecr.aws/aws-cli/aws-cli:2' }], [{ name: 'main', image: OURS }]);

    expect(pathsOf(selectImageSlots(definition, REPOSITORY, REGISTRY, ['fetch']))).toEqual([['eksProperties', 'podProperties', 'initContainers', 0, 'image']]);
  });

  it('selects the ECS container of a node range from the repository', () => {
    const definition = job({
      type: 'multinode',
      nodeProperties: {
        numNodes: 2,
        mainNode: 0,
        nodeRangeProperties: [
          {
            targetNodes: '0:1',
            ecsProperties: {
              taskProperties: [
                {
                  containers: [
                    { name: 'mpi', image: OURS },
                    { name: 'agent', image: 'public.ecr.aws/cloudwatch-agent/cloudwatch-agent:latest' },
                  ],
                },
              ],
            },
          },
        ],
      },
    });

    expect(selectImageSlots(definition, REPOSITORY, REGISTRY)).toStrictEqual([
      { path: ['nodeProperties', 'nodeRangeProperties', 0, 'ecsProperties', 'taskProperties', 0, 'containers', 0, 'image'], name: 'mpi', label: 'node range 0:1 container "mpi"', image: OURS },
    ]);
  });

  it('throws ContainerNotFound listing every image when the job runs two different images, none from the repository', () => {
    const definition = twoRanges('public.ecr.aws/docker/library/busybox:1.36', `${OTHER_REGISTRY}/worker:v3`);

    const error = caught(() => selectImageSlots(definition, REPOSITORY, REGISTRY));

    expect(error).toBeInstanceOf(ContainerNotFound);
    expect(error.name).toBe('ContainerNotFound');
    expect(error.message).toBe(
      `no container of splitter runs an image from ${REGISTRY}/${REPOSITORY} (node range 0 container=public.ecr.aws/docker/library/busybox:1.36, node range 1: container=${OTHER_REGISTRY}/worker:v3). Name the containers to update in batch.containers in deployments.yml.`,
    );
  });

  it('throws ContainerNotFound when the job names no image at all', () => {
    const error = caught(() => selectImageSlots(job({ type: 'container' }), REPOSITORY, REGISTRY));

    expect(error).toBeInstanceOf(ContainerNotFound);
    expect(error.message).toContain('(no containers)');
  });
});

describe('buildJobDefinitionRevisionInput', () => {
  function build(definition: JobDefinition, configured?: string[]) {
    return buildJobDefinitionRevisionInput(definition, replacingWith(selectImageSlots(definition, REPOSITORY, REGISTRY, configured), NEW_IMAGE), DEPLOYMENT_ID);
  }

  it('replaces the image of containerProperties and keeps the rest', () => {
    const input = build(described({ parameters: { input: 's3://bucket/in' } }));

    expect(input).toStrictEqual({
      jobDefinitionName: 'splitter',
      type: 'container',
      parameters: { input: 's3://bucket/in' },
      containerProperties: { image: NEW_IMAGE, command: ['split', 'Ref::input'] },
      tags: MARKER,
    });
  });

  it('replaces the image in every node range that runs it and keeps each range as it was', () => {
    const definition = twoRanges(OURS, OURS);

    const input = build(definition);

    expect(input.nodeProperties).toStrictEqual({
      numNodes: 4,
      mainNode: 0,
      nodeRangeProperties: [
        { targetNodes: '0', container: { image: NEW_IMAGE, vcpus: 4, memory: 8192, command: ['main'] } },
        { targetNodes: '1:', container: { image: NEW_IMAGE, vcpus: 2, memory: 4096, command: ['worker'] } },
      ],
    });
    expect(input).not.toHaveProperty('containerProperties');
  });

  it('replaces the image of the chosen node range only when the ranges run different images', () => {
    const input = build(twoRanges('public.ecr.aws/docker/library/busybox:1.36', OURS));

    expect(input.nodeProperties?.nodeRangeProperties?.map((range) => range.container?.image)).toEqual(['public.ecr.aws/docker/library/busybox:1.36', NEW_IMAGE]);
  });

  it('replaces the image of the configured ECS container only', () => {
    const definition = ecsJob([
      { name: 'healthy', image: 'busybox:latest', essential: true },
      { name: 'healthy-dependency', image: 'busybox:latest', dependsOn: [{ containerName: 'healthy', condition: 'START' }] },
    ]);

    const input = build(definition, ['healthy']);

    expect(input.ecsProperties).toStrictEqual({
      taskProperties: [
        {
          executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
          networkConfiguration: { assignPublicIp: 'DISABLED' },
          containers: [
            { name: 'healthy', image: NEW_IMAGE, essential: true },
            { name: 'healthy-dependency', image: 'busybox:latest', dependsOn: [{ containerName: 'healthy', condition: 'START' }] },
          ],
        },
      ],
    });
  });

  it('replaces the EKS init container and container images from the repository and keeps the others', () => {
    const definition = eksJob(
      [{ name: 'migrate', image: OURS, command: ['migrate'] }],
      [
        { name: 'main', image: OURS, resources: { limits: { cpu: '1', memory: '1024Mi' } } },
        { name: 'sidecar', image: 'public.ecr.aws/docker/library/busybox:1.36' },
      ],
    );

    const input = build(definition);

    expect(input.eksProperties).toStrictEqual({
      podProperties: {
        serviceAccountName: 'splitter',
        hostNetwork: false,
        initContainers: [{ name: 'migrate', image: NEW_IMAGE, command: ['migrate'] }],
        containers: [
          { name: 'main', image: NEW_IMAGE, resources: { limits: { cpu: '1', memory: '1024Mi' } } },
          { name: 'sidecar', image: 'public.ecr.aws/docker/library/busybox:1.36' },
        ],
      },
    });
  });

  it('strips every read-only key of a describe output and nothing else', () => {
    const readOnly = { jobDefinitionArn: ARN, revision: 12, status: 'ACTIVE', containerOrchestrationType: 'ECS' };

    const input = build(described(readOnly));

    expect([...READ_ONLY_JOB_DEFINITION_KEYS].sort()).toEqual(Object.keys(readOnly).sort());
    expect(Object.keys(input).sort()).toEqual(['containerProperties', 'jobDefinitionName', 'tags', 'type']);
  });

  it('keeps the revision tags and adds the deployment marker tag', () => {
    const input = build(described({ tags: { team: 'research', 'cost-center': '' } }));

    expect(input.tags).toStrictEqual({ team: 'research', 'cost-center': '', ...MARKER });
  });

  it('replaces the marker tag of the deployment that registered the current revision', () => {
    const input = build(described({ tags: { team: 'research', [DEPLOYMENT_TAG_KEY]: 'splitter-aaaaaaaaaaaa' } }));

    expect(input.tags).toStrictEqual({ team: 'research', ...MARKER });
  });

  it('sends the marker alone when the revision has no tags or empty tags', () => {
    expect(build(described()).tags).toStrictEqual(MARKER);
    expect(build(described({ tags: {} })).tags).toStrictEqual(MARKER);
  });

  it('adds the marker as the 50th tag', () => {
    const tags = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, `v${i}`]));

    expect(build(described({ tags })).tags).toStrictEqual({ ...tags, ...MARKER });
  });

  it('keeps all 50 tags and adds no marker when the revision already has the 50 Batch allows', () => {
    const tags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, `v${i}`]));

    expect(build(described({ tags })).tags).toStrictEqual(tags);
  });

  it('keeps keys it does not know, at job and container level, a stray _comment included', () => {
    const definition = described({
      _comment: 'kept in the input: the SDK serialises only the members it models, so this never reaches Batch',
      futureJobSetting: { mode: 'ON' },
      containerProperties: { image: OURS, futureContainerSetting: [{ enabled: true }] },
    });

    expect(build(definition)).toStrictEqual({
      jobDefinitionName: 'splitter',
      type: 'container',
      _comment: 'kept in the input: the SDK serialises only the members it models, so this never reaches Batch',
      futureJobSetting: { mode: 'ON' },
      containerProperties: { image: NEW_IMAGE, futureContainerSetting: [{ enabled: true }] },
      tags: MARKER,
    });
  });

  it('keeps resources, roles, retry, timeout, parameters, linux parameters, EFS volumes, secrets, logging and empty arrays as they are', () => {
    const kept = {
      jobDefinitionName: 'splitter',
      type: 'container',
      schedulingPriority: 10,
      parameters: { input: 's3://bucket/in', threads: '8' },
      retryStrategy: {
        attempts: 3,
        evaluateOnExit: [
          { onStatusReason: 'Host EC2*', action: 'RETRY' },
          { onExitCode: '137', action: 'EXIT' },
          { onReason: '*', action: 'EXIT' },
        ],
      },
      timeout: { attemptDurationSeconds: 3600 },
      propagateTags: true,
      platformCapabilities: ['EC2'],
      consumableResourceProperties: { consumableResourceList: [{ consumableResource: 'licence', quantity: 1 }] },
      containerProperties: {
        image: OURS,
        vcpus: 4,
        memory: 8192,
        command: ['split', '--input', 'Ref::input', '--threads', 'Ref::threads'],
        jobRoleArn: 'arn:aws:iam::123456789012:role/splitter-job',
        executionRoleArn: 'arn:aws:iam::123456789012:role/batch-execution',
        resourceRequirements: [
          { type: 'GPU', value: '1' },
          { type: 'VCPU', value: '4' },
          { type: 'MEMORY', value: '8192' },
        ],
        environment: [
          { name: 'MODE', value: 'prod' },
          { name: 'EMPTY', value: '' },
        ],
        secrets: [{ name: 'TOKEN', valueFrom: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:token' }],
        volumes: [
          {
            name: 'shared',
            efsVolumeConfiguration: {
              fileSystemId: 'fs-12345678',
              rootDirectory: '/',
              transitEncryption: 'ENABLED',
              transitEncryptionPort: 2049,
              authorizationConfig: { accessPointId: 'fsap-12345678', iam: 'ENABLED' },
            },
          },
          { name: 'scratch', host: { sourcePath: '/scratch' } },
        ],
        mountPoints: [{ sourceVolume: 'shared', containerPath: '/data', readOnly: false }],
        linuxParameters: {
          devices: [{ hostPath: '/dev/infiniband/uverbs0', permissions: ['READ', 'WRITE'] }],
          sharedMemorySize: 8192,
          tmpfs: [],
          initProcessEnabled: true,
        },
        ulimits: [{ name: 'memlock', softLimit: -1, hardLimit: -1 }],
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/batch/splitter' } },
        readonlyRootFilesystem: true,
        privileged: false,
        user: 'efauser',
        instanceType: 'p3.2xlarge',
        ephemeralStorage: { sizeInGiB: 50 },
        runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
        repositoryCredentials: { credentialsParameter: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:registry' },
      },
      tags: { team: 'research' },
    };
    const definition = { ...deepCopy(kept), jobDefinitionArn: ARN, revision: 12, status: 'ACTIVE', containerOrchestrationType: 'ECS' } as JobDefinition;

    const input = build(definition);

    expect(input).toStrictEqual({ ...kept, containerProperties: { ...kept.containerProperties, image: NEW_IMAGE }, tags: { team: 'research', ...MARKER } });
  });

  it('drops explicit nulls of a describe output at every depth and keeps every other falsy value', () => {
    const definition = described({
      parameters: null,
      timeout: null,
      propagateTags: false,
      schedulingPriority: 0,
      containerProperties: { image: OURS, command: null, environment: [], linuxParameters: { devices: [], sharedMemorySize: null }, privileged: false, user: '' },
    });

    expect(build(definition)).toStrictEqual({
      jobDefinitionName: 'splitter',
      type: 'container',
      propagateTags: false,
      schedulingPriority: 0,
      containerProperties: { image: NEW_IMAGE, environment: [], linuxParameters: { devices: [] }, privileged: false, user: '' },
      tags: MARKER,
    });
  });

  it('does not change the job definition it is given', () => {
    const definition = twoRanges(OURS, OURS);
    definition.tags = { team: 'research', [DEPLOYMENT_TAG_KEY]: 'earlier' };
    const before = deepCopy(definition);

    build(definition);

    expect(definition).toStrictEqual(before);
  });
});

describe('RegisterJobDefinition request', () => {
  it('does not send keys the Batch API does not model, such as _comment', async () => {
    let body: string | undefined;
    const client = new BatchClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
      requestHandler: {
        handle: (request: { body?: unknown }) => {
          // The body is a UTF-8 byte array of the JSON document.
          body = new TextDecoder().decode(request.body as Uint8Array);
          return Promise.reject(new Error('request captured'));
        },
      },
    });
    const definition = described({ _comment: 'a note for people', containerProperties: { image: OURS, _note: 'nested note' } });
    const input = buildJobDefinitionRevisionInput(definition, replacingWith(selectImageSlots(definition, REPOSITORY, REGISTRY), NEW_IMAGE), DEPLOYMENT_ID);

    await expect(client.send(new RegisterJobDefinitionCommand(input))).rejects.toThrow('request captured');

    expect(input).toHaveProperty('_comment', 'a note for people');
    expect(JSON.parse(body ?? 'null')).toStrictEqual({
      jobDefinitionName: 'splitter',
      type: 'container',
      containerProperties: { image: NEW_IMAGE },
      tags: MARKER,
    });
  });
});

describe('jobDefinitionLabel', () => {
  it('shortens a job definition ARN to name:revision', () => {
    expect(jobDefinitionLabel(ARN)).toBe('splitter:12');
  });
});
