import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { startRehearsal } from '../../local/rehearsal';
import { runCli } from './support';

/**
 * `snapshot` saves a target's live definition (mocked AWS) beside deployments.yml;
 * `--local -f` then rehearses on it instead of a plausible one.
 */

const dir = mkdtempSync(join(tmpdir(), 'ecr-deployer-snapshot-'));
const file = join(dir, 'deployments.yml');
copyFileSync(join(__dirname, '..', '..', 'examples', 'ecs-service-behind-alb.yml'), file);
const REAL_REGISTRY = '999999999999.dkr.ecr.eu-west-1.amazonaws.com';

it('saves the live task definition, and the rehearsal then deploys a revision of it, sidecar and settings kept', async () => {
  const ecsMock = mockClient(ECSClient);
  ecsMock.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'api', status: 'ACTIVE', taskDefinition: 'arn:aws:ecs:eu-west-1:999999999999:task-definition/api:41' }] });
  ecsMock.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      family: 'api',
      taskDefinitionArn: 'arn:aws:ecs:eu-west-1:999999999999:task-definition/api:41',
      revision: 41,
      status: 'ACTIVE',
      executionRoleArn: 'arn:aws:iam::999999999999:role/ecsTaskExecutionRole',
      taskRoleArn: 'arn:aws:iam::999999999999:role/api-task-role',
      containerDefinitions: [
        { name: 'api', image: `${REAL_REGISTRY}/acme/api:v1.0.0`, environment: [{ name: 'MODEL', value: 'yolo-v8' }], secrets: [{ name: 'DB', valueFrom: 'arn:aws:secretsmanager:eu-west-1:999999999999:secret:db-AbCdEf' }] },
        { name: 'envoy', image: 'public.ecr.aws/envoyproxy/envoy:v1.31' },
      ],
    },
    tags: [{ key: 'team', value: 'vision' }],
  });

  const saved = await runCli(['-f', file, 'snapshot'], { env: { AWS_REGION: 'eu-west-1' }, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  ecsMock.restore();

  expect(saved.code).toBe(0);
  const snapshotFile = join(dir, '.ecr-deployer', 'snapshots', 'api.json');
  expect(existsSync(snapshotFile)).toBe(true);
  expect(JSON.parse(readFileSync(snapshotFile, 'utf8'))).toMatchObject({ kind: 'ecs', taskDefinition: { family: 'api', containerDefinitions: [{ name: 'api' }, { name: 'envoy' }] } });
  expect(ecsMock.calls().map((call) => call.args[0].constructor.name).filter((name) => name === RegisterTaskDefinitionCommand.name)).toEqual([]);

  // The rehearsal's service runs the snapshot: its sidecar and settings, its image moved to the simulated registry.
  const rehearsal = await startRehearsal({ file, waitMs: 0 });
  const running = rehearsal.account.runningTaskDefinition('prod', 'api');
  await rehearsal.close();
  expect(running?.containerDefinitions?.map((c) => [c.name, c.image])).toEqual([
    ['api', `${rehearsal.account.registry}/acme/api:v1.0.0`],
    ['envoy', 'public.ecr.aws/envoyproxy/envoy:v1.31'],
  ]);
  expect(running?.containerDefinitions?.[0]?.environment).toEqual([{ name: 'MODEL', value: 'yolo-v8' }]);

  const rehearsed = await runCli(['--local', '-f', file, 'deploy', 'api', '--tag', 'v1.2.3']);

  expect(rehearsed.stderr).toContain('from the snapshots of api (ecr-deployer snapshot)');
  expect(rehearsed.stdout).toMatch(/✔ SUCCEEDED in \S+ — api runs api:\d+ \(v1\.2\.3 @ sha256:[0-9a-f]{12}\)/);
});

it('is refused with --local: it would save the simulated account', async () => {
  const result = await runCli(['--local', 'snapshot']);

  expect(result.code).toBe(1);
  expect(result.stderr).toContain('snapshot reads your AWS account');
});
