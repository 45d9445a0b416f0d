import { publishDeploymentMetrics } from '../../../functions/metrics/deployment-metrics';
import type { Deployment } from '../../../functions/shared/deployment';
import type { SlotOutcome } from '../../../functions/slots/model';
import { changeOf, deploymentOfChanges } from '../../support/deployments';
import { captureLogs } from '../../support/logs';
import { captureEmf } from '../../support/metrics';

/** The EMF lines of one finished deployment, on a clock of the test's: started at 10:00:00, ended at 10:05:00. */

const DIGEST = `sha256:${'e'.repeat(64)}`;
const STARTED_AT = '2026-11-23T10:00:00.000Z';
const ENDED = new Date('2026-11-23T10:05:00.000Z');
const image = (repository: string) => ({ registry: 'r', repository, tag: 'v2', digest: DIGEST, uri: `r/${repository}@${DIGEST}` });
const web = { name: 'web', repository: 'web', environment: 'staging', ecs: { cluster: 'c', service: 's', containers: ['web'] } };
const worker = { name: 'worker', repository: 'worker', ecs: { cluster: 'c', service: 's', containers: ['worker'] } };

/** A push deployment of web (pushed at 09:58:00) and worker (09:59:30), one service. */
function pushDeployment(): Deployment {
  return deploymentOfChanges(
    [
      { ...changeOf(web, image('web')), pushedAt: '2026-11-23T09:58:00Z' },
      { ...changeOf(worker, image('worker')), pushedAt: '2026-11-23T09:59:30Z' },
    ],
    { id: 'ecs-c-s-abc123-g4', startedAt: STARTED_AT },
  );
}

/** The values of each line, by target: what a chart adds up. */
function valuesOf(lines: Awaited<ReturnType<typeof captureEmf>>): Record<string, Record<string, unknown>> {
  return Object.fromEntries(lines.map(({ _aws, target, environment, deploymentId, status, ...values }) => [String(target), values]));
}

describe('deployment metrics', () => {
  describe('when a push deployment of two targets SUCCEEDED', () => {
    it('writes one EMF line per target, in the namespace, with the dimension set target and environment', async () => {
      const lines = await captureEmf(() => publishDeploymentMetrics('SUCCEEDED', pushDeployment(), ENDED));

      expect(lines.map(({ _aws, target, environment, deploymentId, status }) => ({ cloudWatch: _aws.CloudWatchMetrics, timestamp: _aws.Timestamp, target, environment, deploymentId, status }))).toEqual(
        ['web', 'worker'].map((target) => ({
          cloudWatch: [
            {
              Namespace: 'ecr-deployer',
              Dimensions: [['target', 'environment']],
              Metrics: [
                { Name: 'Deployments', Unit: 'Count' },
                { Name: 'Rollbacks', Unit: 'Count' },
                { Name: 'Failures', Unit: 'Count' },
                { Name: 'RolloutDurationSeconds', Unit: 'Seconds' },
                { Name: 'LeadTimeSeconds', Unit: 'Seconds' },
              ],
            },
          ],
          timestamp: ENDED.getTime(),
          target,
          // A target without `environment` is in 'default'.
          environment: target === 'web' ? 'staging' : 'default',
          deploymentId: 'ecs-c-s-abc123-g4',
          status: 'SUCCEEDED',
        })),
      );
    });

    it('counts a deployment each, and the lead time from each image’s push', async () => {
      const lines = await captureEmf(() => publishDeploymentMetrics('SUCCEEDED', pushDeployment(), ENDED));

      expect(valuesOf(lines)).toEqual({
        web: { Deployments: 1, Rollbacks: 0, Failures: 0, RolloutDurationSeconds: 300, LeadTimeSeconds: 420 },
        worker: { Deployments: 1, Rollbacks: 0, Failures: 0, RolloutDurationSeconds: 300, LeadTimeSeconds: 330 },
      });
    });

    it('honours POWERTOOLS_METRICS_NAMESPACE (serverless.yml sets <service>/<stage>)', async () => {
      process.env.POWERTOOLS_METRICS_NAMESPACE = 'ecr-deployer/prod';
      try {
        const lines = await captureEmf(() => publishDeploymentMetrics('SUCCEEDED', pushDeployment(), ENDED));

        expect(lines.map((line) => line._aws.CloudWatchMetrics[0]?.Namespace)).toEqual(['ecr-deployer/prod', 'ecr-deployer/prod']);
      } finally {
        delete process.env.POWERTOOLS_METRICS_NAMESPACE;
      }
    });
  });

  describe('when it did not succeed', () => {
    it.each<[SlotOutcome, number, number]>([
      ['ROLLED_BACK', 1, 0],
      ['FAILED', 0, 1],
      ['ROLLBACK_FAILED', 0, 1],
    ])('%s counts %d rollback(s) and %d failure(s), and no lead time', async (status, rollbacks, failures) => {
      const lines = await captureEmf(() => publishDeploymentMetrics(status, pushDeployment(), ENDED));

      expect(valuesOf(lines).web).toEqual({ Deployments: 1, Rollbacks: rollbacks, Failures: failures, RolloutDurationSeconds: 300 });
    });
  });

  describe('when a person asked', () => {
    it('a rollback that SUCCEEDED counts a rollback, and no lead time: nothing was pushed', async () => {
      const rollback = deploymentOfChanges([changeOf(web, image('web'), 'ecs-c-s-abc123-g3')], { startedAt: STARTED_AT, trigger: { kind: 'manual', requestedBy: 'ana' } });

      const lines = await captureEmf(() => publishDeploymentMetrics('SUCCEEDED', rollback, ENDED));

      expect(valuesOf(lines)).toEqual({ web: { Deployments: 1, Rollbacks: 1, Failures: 0, RolloutDurationSeconds: 300 } });
    });
  });

  it('writes nothing for a REJECTED deployment or a state without one: nothing was deployed', async () => {
    const lines = await captureEmf(() => {
      publishDeploymentMetrics('REJECTED', pushDeployment(), ENDED);
      publishDeploymentMetrics('FAILED', undefined, ENDED);
    });

    expect(lines).toEqual([]);
  });

  it('writes nothing with POWERTOOLS_METRICS_DISABLED, as npm start, the CLI and the tests set it', async () => {
    const written = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);

    publishDeploymentMetrics('SUCCEEDED', pushDeployment(), ENDED);

    expect(process.env.POWERTOOLS_METRICS_DISABLED).toBe('true');
    expect(written).not.toHaveBeenCalled();
  });

  it('never throws: a deployment it cannot read is logged, and the release goes on', async () => {
    const unreadable = { ...pushDeployment(), changes: [null] } as unknown as Deployment;

    const logs = await captureLogs(() => expect(() => publishDeploymentMetrics('SUCCEEDED', unreadable, ENDED)).not.toThrow());

    expect(logs).toContain('"message":"deployment metrics not published"');
  });
});
