import { deepCopy } from '../../support/corpus';
import type { ContainerDefinition, Tag, TaskDefinition } from '@aws-sdk/client-ecs';
import {
  buildRevisionInput,
  DEPLOYMENT_TAG_KEY,
  READ_ONLY_TASK_DEFINITION_KEYS,
  selectContainers,
  withoutNulls,
} from '../../../functions/ecs/task-definition';
import { ContainerNotFound } from '../../../functions/shared/errors';

const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const NEW_IMAGE = `${REGISTRY}/web@sha256:${'b'.repeat(64)}`;
const DEPLOYMENT_ID = 'web-bbbbbbbbbbbb';
const MARKER: Tag = { key: DEPLOYMENT_TAG_KEY, value: DEPLOYMENT_ID };

/** A task definition as DescribeTaskDefinition returns it; extra keys (unknown to the SDK types) allowed. */
function described(fields: Record<string, unknown> = {}): TaskDefinition {
  return {
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:41',
    family: 'web',
    revision: 41,
    status: 'ACTIVE',
    containerDefinitions: [
      { name: 'web', image: `${REGISTRY}/web:v1`, essential: true },
      { name: 'log_router', image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable', essential: true },
    ],
    ...fields,
  } as TaskDefinition;
}

function containers(...definitions: ContainerDefinition[]): TaskDefinition {
  return described({ containerDefinitions: definitions });
}

function names(selected: ContainerDefinition[]): (string | undefined)[] {
  return selected.map((container) => container.name);
}

function caught(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, got none');
}

describe('selectContainers', () => {
  it('returns the configured containers, in task definition order', () => {
    const taskDefinition = containers({ name: 'a', image: 'x' }, { name: 'b', image: 'y' }, { name: 'c', image: 'z' });

    expect(names(selectContainers(taskDefinition, 'web', ['c', 'a']))).toEqual(['a', 'c']);
  });

  it('defaults to the containers whose image comes from the repository, whatever the tag, digest or registry', () => {
    const taskDefinition = containers(
      { name: 'tagged', image: `${REGISTRY}/web:v1` },
      { name: 'pinned', image: `${REGISTRY}/web@sha256:${'a'.repeat(64)}` },
      { name: 'local', image: '127.0.0.1:5000/web' },
      { name: 'other', image: `${REGISTRY}/web-worker:v1` },
      { name: 'nested', image: `${REGISTRY}/team/web:v1` },
    );

    expect(names(selectContainers(taskDefinition, 'web'))).toEqual(['tagged', 'pinned', 'local']);
    expect(names(selectContainers(taskDefinition, 'team/web'))).toEqual(['nested']);
  });

  it('ignores an image of the same name from another registry when the registry is known', () => {
    const taskDefinition = containers(
      { name: 'ours', image: `${REGISTRY}/nginx:1.27` },
      { name: 'docker-hub', image: 'nginx:1.27' },
      { name: 'other-account', image: '999999999999.dkr.ecr.us-east-1.amazonaws.com/nginx:1.27' },
    );

    expect(names(selectContainers(taskDefinition, 'nginx', undefined, REGISTRY))).toEqual(['ours']);
  });

  it('selects only the named container when two containers run the same image', () => {
    const taskDefinition = containers({ name: 'healthy', image: 'busybox:latest' }, { name: 'healthy-dependency', image: 'busybox:latest' });

    expect(names(selectContainers(taskDefinition, 'busybox', ['healthy']))).toEqual(['healthy']);
  });

  it('selects every container running the repository when none is configured, two with the same image included', () => {
    const taskDefinition = containers({ name: 'healthy', image: 'busybox:latest' }, { name: 'healthy-dependency', image: 'busybox:latest' });

    expect(names(selectContainers(taskDefinition, 'busybox'))).toEqual(['healthy', 'healthy-dependency']);
  });

  it('throws ContainerNotFound naming the missing container, the containers there are, and what to fix', () => {
    const error = caught(() => selectContainers(described(), 'web', ['wbe']));

    expect(error).toBeInstanceOf(ContainerNotFound);
    expect(error.name).toBe('ContainerNotFound');
    expect(error.message).toBe('web has no container named "wbe" (it has "web", "log_router"). Fix ecs.containers in deployments.yml.');
  });

  it('throws ContainerNotFound telling to name the containers when no image comes from the repository', () => {
    const taskDefinition = containers({ name: 'app', image: '<IMAGE1_NAME>' }, { name: 'sidecar', image: 'amazon/aws-for-fluent-bit:stable' });

    const error = caught(() => selectContainers(taskDefinition, 'app'));

    expect(error).toBeInstanceOf(ContainerNotFound);
    expect(error.message).toContain('app=<IMAGE1_NAME>');
    expect(error.message).toContain('Name the containers to update in ecs.containers in deployments.yml.');
  });

  it('takes a container with a CodeDeploy <IMAGE1_NAME> placeholder image when it is named', () => {
    const taskDefinition = containers({ name: 'app', image: '<IMAGE1_NAME>' }, { name: 'sidecar', image: 'amazon/aws-for-fluent-bit:stable' });

    expect(names(selectContainers(taskDefinition, 'app', ['app']))).toEqual(['app']);
  });
});

describe('withoutNulls', () => {
  it('removes nulls at every depth and keeps every other falsy value', () => {
    const value = { a: null, b: 0, c: false, d: '', e: [], f: { g: null, h: [{ i: null, j: 'k' }] } };

    expect(withoutNulls(value)).toStrictEqual({ b: 0, c: false, d: '', e: [], f: { h: [{ j: 'k' }] } });
  });
});

describe('buildRevisionInput', () => {
  it('replaces the image of the named container only, even when another runs the same image', () => {
    const taskDefinition = containers({ name: 'healthy', image: 'busybox:latest' }, { name: 'healthy-dependency', image: 'busybox:latest' });

    const input = buildRevisionInput(taskDefinition, undefined, { healthy: NEW_IMAGE }, DEPLOYMENT_ID);

    expect(input.containerDefinitions?.map((c) => c.image)).toEqual([NEW_IMAGE, 'busybox:latest']);
  });

  it('keeps the revision tags and adds the deployment marker tag', () => {
    const tags = [{ key: 'team', value: 'payments' }, { key: 'cost-center', value: '' }];

    const input = buildRevisionInput(described(), tags, { web: NEW_IMAGE }, DEPLOYMENT_ID);

    expect(input.tags).toStrictEqual([...tags, MARKER]);
  });

  it('replaces the marker tag of the deployment that registered the current revision', () => {
    const tags = [{ key: 'team', value: 'payments' }, { key: DEPLOYMENT_TAG_KEY, value: 'web-aaaaaaaaaaaa' }];

    const input = buildRevisionInput(described(), tags, { web: NEW_IMAGE }, DEPLOYMENT_ID);

    expect(input.tags).toStrictEqual([{ key: 'team', value: 'payments' }, MARKER]);
  });

  it('adds the marker as the 50th tag', () => {
    const tags = Array.from({ length: 49 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));

    const input = buildRevisionInput(described(), tags, { web: NEW_IMAGE }, DEPLOYMENT_ID);

    expect(input.tags).toStrictEqual([...tags, MARKER]);
  });

  it('keeps all 50 tags and adds no marker when the revision already has the 50 ECS allows', () => {
    const tags = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));

    const input = buildRevisionInput(described(), tags, { web: NEW_IMAGE }, DEPLOYMENT_ID);

    expect(input.tags).toStrictEqual(tags);
  });

  it('sends the marker alone when the revision has no tags', () => {
    expect(buildRevisionInput(described(), undefined, { web: NEW_IMAGE }, DEPLOYMENT_ID).tags).toStrictEqual([MARKER]);
    expect(buildRevisionInput(described(), [], { web: NEW_IMAGE }, DEPLOYMENT_ID).tags).toStrictEqual([MARKER]);
  });

  it('takes tags from the describe response, not from a tags key inside the task definition', () => {
    const taskDefinition = described({ tags: [{ key: 'stale', value: 'copy' }] });

    const input = buildRevisionInput(taskDefinition, [{ key: 'team', value: 'payments' }], { web: NEW_IMAGE }, DEPLOYMENT_ID);

    expect(input.tags).toStrictEqual([{ key: 'team', value: 'payments' }, MARKER]);
  });

  it('strips every read-only key of a describe output', () => {
    const readOnly = {
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:41',
      revision: 41,
      status: 'ACTIVE',
      requiresAttributes: [{ name: 'ecs.capability.task-eni' }],
      compatibilities: ['EC2', 'FARGATE'],
      registeredAt: new Date('2026-01-01T00:00:00Z'),
      registeredBy: 'arn:aws:iam::123456789012:role/deployer',
      deregisteredAt: new Date('2026-01-02T00:00:00Z'),
      deleteRequestedAt: new Date('2026-01-03T00:00:00Z'),
    };

    const input = buildRevisionInput(described(readOnly), undefined, { web: NEW_IMAGE }, DEPLOYMENT_ID);

    expect([...READ_ONLY_TASK_DEFINITION_KEYS].sort()).toEqual(Object.keys(readOnly).sort());
    expect(Object.keys(input).sort()).toEqual(['containerDefinitions', 'family', 'tags']);
  });

  it('keeps keys it does not know, at task and container level, a stray _comment included', () => {
    const taskDefinition = described({
      _comment: 'kept: the SDK only serialises the members it models, so this never reaches ECS',
      futureTaskSetting: { mode: 'ON', weights: [1, 2] },
      containerDefinitions: [{ name: 'web', image: 'web:v1', futureContainerSetting: [{ enabled: true }] }],
    });

    const input = buildRevisionInput(taskDefinition, undefined, { web: NEW_IMAGE }, DEPLOYMENT_ID);

    expect(input).toStrictEqual({
      family: 'web',
      _comment: 'kept: the SDK only serialises the members it models, so this never reaches ECS',
      futureTaskSetting: { mode: 'ON', weights: [1, 2] },
      containerDefinitions: [{ name: 'web', image: NEW_IMAGE, futureContainerSetting: [{ enabled: true }] }],
      tags: [MARKER],
    });
  });

  it('keeps accelerators, proxy, storage, platform, fault injection, EFS and FSx volumes, firelens and repository credentials as they are', () => {
    const kept = {
      family: 'web',
      taskRoleArn: 'arn:aws:iam::123456789012:role/web-task',
      executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '1024',
      memory: '2048',
      pidMode: 'task',
      ipcMode: 'none',
      placementConstraints: [],
      inferenceAccelerators: [{ deviceName: 'device1', deviceType: 'eia2.medium' }],
      proxyConfiguration: {
        type: 'APPMESH',
        containerName: 'envoy',
        properties: [
          { name: 'IgnoredUID', value: '1337' },
          { name: 'EgressIgnoredIPs', value: '169.254.170.2,169.254.169.254' },
        ],
      },
      ephemeralStorage: { sizeInGiB: 50 },
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      enableFaultInjection: true,
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
        {
          name: 'windows-share',
          fsxWindowsFileServerVolumeConfiguration: {
            fileSystemId: 'fs-0123456789abcdef0',
            rootDirectory: 'share',
            authorizationConfig: { credentialsParameter: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fsx', domain: 'corp.example.com' },
          },
        },
        { name: 'scratch', host: {} },
      ],
      containerDefinitions: [
        {
          name: 'web',
          image: 'private.example.com/web:v1',
          repositoryCredentials: { credentialsParameter: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:registry' },
          secrets: [{ name: 'DB_PASSWORD', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/web/db' }],
          environment: [{ name: 'MODE', value: 'prod' }],
          environmentFiles: [{ type: 's3', value: 'arn:aws:s3:::config/web.env' }],
          mountPoints: [{ sourceVolume: 'shared', containerPath: '/data', readOnly: false }],
          dependsOn: [{ containerName: 'envoy', condition: 'HEALTHY' }],
          logConfiguration: { logDriver: 'awsfirelens', options: { Name: 'cloudwatch' }, secretOptions: [{ name: 'key', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/k' }] },
          resourceRequirements: [{ type: 'InferenceAccelerator', value: 'device1' }],
          linuxParameters: { initProcessEnabled: true, capabilities: { add: ['SYS_PTRACE'] } },
          ulimits: [{ name: 'nofile', softLimit: 65536, hardLimit: 65536 }],
          dockerLabels: { 'com.example.team': 'payments' },
          healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], interval: 30, retries: 3 },
          restartPolicy: { enabled: true, restartAttemptPeriod: 60 },
          versionConsistency: 'disabled',
        },
        { name: 'envoy', image: 'public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29', user: '1337', essential: true },
        {
          name: 'log_router',
          image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
          firelensConfiguration: { type: 'fluentbit', options: { 'config-file-type': 'file', 'config-file-value': '/extra.conf' } },
        },
      ],
    };
    const taskDefinition = { ...kept, taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:41', revision: 41 } as TaskDefinition;

    const input = buildRevisionInput(taskDefinition, undefined, { web: NEW_IMAGE }, DEPLOYMENT_ID);

    const [web, ...others] = kept.containerDefinitions;
    expect(input).toStrictEqual({ ...kept, containerDefinitions: [{ ...web, image: NEW_IMAGE }, ...others], tags: [MARKER] });
  });

  it('drops explicit nulls of a legacy describe output at every depth', () => {
    const taskDefinition = described({
      ipcMode: null,
      taskRoleArn: null,
      proxyConfiguration: null,
      inferenceAccelerators: null,
      containerDefinitions: [
        { name: 'web', image: 'web:v1', command: null, logConfiguration: { logDriver: 'awslogs', secretOptions: null }, mountPoints: [{ sourceVolume: 'v', containerPath: '/v', readOnly: null }] },
      ],
      volumes: [{ name: 'v', host: { sourcePath: '/var/run/docker.sock' }, efsVolumeConfiguration: null }],
    });

    const input = buildRevisionInput(taskDefinition, undefined, { web: NEW_IMAGE }, DEPLOYMENT_ID);

    expect(input).toStrictEqual({
      family: 'web',
      containerDefinitions: [{ name: 'web', image: NEW_IMAGE, logConfiguration: { logDriver: 'awslogs' }, mountPoints: [{ sourceVolume: 'v', containerPath: '/v' }] }],
      volumes: [{ name: 'v', host: { sourcePath: '/var/run/docker.sock' } }],
      tags: [MARKER],
    });
  });

  it('drops empty-string ipcMode, pidMode, networkMode and appProtocol, and keeps the ones that are set', () => {
    const empty = described({
      ipcMode: '',
      pidMode: '',
      networkMode: '',
      containerDefinitions: [{ name: 'web', image: 'web:v1', portMappings: [{ containerPort: 80, appProtocol: '' }, { containerPort: 81, appProtocol: 'http' }] }],
    });

    const input = buildRevisionInput(empty, undefined, { web: NEW_IMAGE }, DEPLOYMENT_ID);
    const set = buildRevisionInput(described({ ipcMode: 'task', pidMode: 'host', networkMode: 'bridge' }), undefined, { web: NEW_IMAGE }, DEPLOYMENT_ID);

    expect(input).not.toHaveProperty('ipcMode');
    expect(input).not.toHaveProperty('pidMode');
    expect(input).not.toHaveProperty('networkMode');
    expect(input.containerDefinitions?.[0]?.portMappings).toStrictEqual([{ containerPort: 80 }, { containerPort: 81, appProtocol: 'http' }]);
    expect(set).toMatchObject({ ipcMode: 'task', pidMode: 'host', networkMode: 'bridge' });
  });

  it('gives environment entries without a value an empty value, so ECS keeps the variable', () => {
    const taskDefinition = described({
      containerDefinitions: [
        { name: 'web', image: 'web:v1', environment: [{ name: 'NULL', value: null }, { name: 'MISSING' }, { name: 'EMPTY', value: '' }, { name: 'SET', value: 'x' }] },
        { name: 'worker', image: 'worker:v1', environment: [{ name: 'MISSING' }] },
      ],
    });

    const input = buildRevisionInput(taskDefinition, undefined, { web: NEW_IMAGE }, DEPLOYMENT_ID);

    expect(input.containerDefinitions?.map((c) => c.environment)).toStrictEqual([
      [
        { name: 'NULL', value: '' },
        { name: 'MISSING', value: '' },
        { name: 'EMPTY', value: '' },
        { name: 'SET', value: 'x' },
      ],
      [{ name: 'MISSING', value: '' }],
    ]);
  });

  it('keeps template placeholders in strings as written and replaces a placeholder image only in the named container', () => {
    const containerDefinitions = [
      { name: 'app', image: '<IMAGE1_NAME>', environment: [{ name: 'HOME_DIR', value: '${HOME}/app' }] },
      {
        name: 'nginx',
        image: '{{ must_env `ECR_ENDPOINT` }}/nginx:{{ must_env `TAG` }}',
        command: ['sh', '-c', 'exec nginx -g "daemon off;" ${EXTRA}'],
        logConfiguration: { logDriver: 'splunk', options: { tag: '{{.Name}}/{{.ID}}' } },
        secrets: [{ name: 'KEY', valueFrom: 'arn:aws:ssm:ap-northeast-1:{{must_env `AWS_ACCOUNT_ID`}}:parameter/key' }],
      },
      { name: 'other', image: '<IMAGE2_NAME>' },
    ];
    const taskDefinition = described({ executionRoleArn: 'arn:${Partition}:iam::${Account}:role/exec', containerDefinitions });

    const input = buildRevisionInput(taskDefinition, undefined, { app: NEW_IMAGE }, DEPLOYMENT_ID);

    expect(input.executionRoleArn).toBe('arn:${Partition}:iam::${Account}:role/exec');
    expect(input.containerDefinitions).toStrictEqual([{ ...containerDefinitions[0], image: NEW_IMAGE }, containerDefinitions[1], containerDefinitions[2]]);
  });

  it('does not change the task definition it is given', () => {
    const taskDefinition = described({
      ipcMode: '',
      tags: [{ key: 'a', value: 'b' }],
      containerDefinitions: [{ name: 'web', image: 'web:v1', environment: [{ name: 'A' }], portMappings: [{ containerPort: 80, appProtocol: '' }] }],
    });
    const before = deepCopy(taskDefinition);

    buildRevisionInput(taskDefinition, [{ key: 'team', value: 'x' }], { web: NEW_IMAGE }, DEPLOYMENT_ID);

    expect(taskDefinition).toStrictEqual(before);
  });
});
