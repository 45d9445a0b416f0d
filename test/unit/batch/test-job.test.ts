import { BatchClient, DescribeJobsCommand, type JobDetail, ListJobsCommand, SubmitJobCommand, TerminateJobCommand } from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { checkTestJob, submitTestJob, testJobName } from '../../../functions/batch/test-job';
import { targetSchema } from '../../../functions/config/schema';
import type { BatchProgress, BatchTestJob, Deployment } from '../../../functions/shared/deployment';
import { SmokeTestFailed } from '../../../functions/shared/errors';
import { imageRef } from '../../../functions/shared/image';
import { deploymentOfTarget } from '../../support/deployments';

const batchMock = mockClient(BatchClient);

const DIGEST = `sha256:${'a'.repeat(64)}`;
const DEPLOYMENT_ID = 'splitter-aaaaaaaaaaaa';
const JOB_NAME = `ecr-deployer-test-${DEPLOYMENT_ID}`;
const NEW_ARN = 'arn:aws:batch:us-east-1:123456789012:job-definition/splitter:13';
const VALID_JOB_NAME = /^[A-Za-z0-9_-]{1,128}$/;

const batchJob = {
  jobQueue: 'smoke-tests',
  parameters: { input: 's3://bucket/smoke/input.fasta' },
  containerOverrides: {
    command: ['split', '--input', 'Ref::input', '--dry-run'],
    environment: [{ name: 'MODE', value: 'smoke' }],
    resourceRequirements: [{ type: 'VCPU' as const, value: '1' }],
  },
  timeoutSeconds: 600,
  pollSeconds: 20,
};

function deployment(smokeTests: unknown[] = [{ batchJob }]): Deployment {
  const image = imageRef('123456789012.dkr.ecr.us-east-1.amazonaws.com', 'splitter', DIGEST, 'v2');
  return deploymentOfTarget({ name: 'splitter', repository: 'splitter', batch: { jobDefinition: 'splitter' }, smokeTests }, image, { id: DEPLOYMENT_ID });
}

const progress: BatchProgress = {
  jobDefinitionName: 'splitter',
  previousJobDefinitionArn: 'arn:aws:batch:us-east-1:123456789012:job-definition/splitter:12',
  newJobDefinitionArn: NEW_ARN,
  containers: [{ name: 'containerProperties', target: 'splitter', previousImage: 'splitter:v1', image: `splitter@${DIGEST}` }],
};

function testJob(fields: Partial<BatchTestJob> = {}): BatchTestJob {
  return { submitted: true, jobId: 'job-1', jobName: JOB_NAME, jobQueue: 'smoke-tests', status: 'RUNNABLE', pollSeconds: 20, deadline: '2999-01-01T00:00:00.000Z', ...fields };
}

function job(fields: Partial<JobDetail>): JobDetail {
  return {
    jobId: 'job-1',
    jobName: JOB_NAME,
    jobQueue: 'arn:aws:batch:us-east-1:123456789012:job-queue/smoke-tests',
    jobDefinition: NEW_ARN,
    status: 'RUNNING',
    startedAt: 1,
    ...fields,
  } as JobDetail;
}

beforeEach(() => {
  batchMock.reset();
});

describe('testJobName', () => {
  it('names the job after the deployment, as a valid Batch job name', () => {
    expect(testJobName(DEPLOYMENT_ID)).toBe(JOB_NAME);
    expect(JOB_NAME).toMatch(VALID_JOB_NAME);
  });

  it('replaces characters Batch does not allow and keeps at most 128', () => {
    const name = testJobName(`web:v1.2/${'x'.repeat(200)}`);

    expect(name).toMatch(VALID_JOB_NAME);
    expect(name.startsWith('ecr-deployer-test-web-v1-2-xxx')).toBe(true);
    expect(name).toHaveLength(128);
  });
});

describe('submitTestJob', () => {
  it('submits the test job pinned to the new revision ARN, with its parameters and container overrides', async () => {
    batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
    batchMock.on(SubmitJobCommand).resolves({ jobId: 'job-1', jobName: JOB_NAME, jobArn: 'arn:aws:batch:us-east-1:123456789012:job/job-1' });
    const before = Date.now();

    const submitted = await submitTestJob(deployment(), progress);

    const after = Date.now();
    expect(batchMock.commandCalls(SubmitJobCommand).map((call) => call.args[0].input)).toStrictEqual([
      {
        jobName: JOB_NAME,
        jobQueue: 'smoke-tests',
        jobDefinition: NEW_ARN,
        parameters: batchJob.parameters,
        containerOverrides: batchJob.containerOverrides,
      },
    ]);
    const { deadline, ...rest } = submitted;
    expect(rest).toStrictEqual({ submitted: true, jobId: 'job-1', jobName: JOB_NAME, jobQueue: 'smoke-tests', status: 'SUBMITTED', pollSeconds: 20 });
    expect(Date.parse(deadline ?? '')).toBeGreaterThanOrEqual(before + 600_000);
    expect(Date.parse(deadline ?? '')).toBeLessThanOrEqual(after + 600_000);
  });

  it('looks for the job of this deployment in the queue by its name before submitting', async () => {
    batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
    batchMock.on(SubmitJobCommand).resolves({ jobId: 'job-1', jobName: JOB_NAME, jobArn: 'arn:aws:batch:us-east-1:123456789012:job/job-1' });

    await submitTestJob(deployment(), progress);

    expect(batchMock.commandCalls(ListJobsCommand).map((call) => call.args[0].input)).toStrictEqual([{ jobQueue: 'smoke-tests', filters: [{ name: 'JOB_NAME', values: [JOB_NAME] }] }]);
  });

  it('finds the job a previous attempt submitted and does not submit again', async () => {
    batchMock.on(ListJobsCommand).resolves({
      jobSummaryList: [
        { jobId: 'other', jobName: `${JOB_NAME}-other` },
        { jobId: 'job-1', jobName: JOB_NAME, status: 'RUNNABLE' },
      ],
    });

    const submitted = await submitTestJob(deployment(), progress);

    expect(batchMock.commandCalls(SubmitJobCommand)).toHaveLength(0);
    expect(submitted).toMatchObject({ submitted: true, jobId: 'job-1', jobName: JOB_NAME, jobQueue: 'smoke-tests' });
  });

  it('submits nothing and calls nothing when the target has no batchJob smoke test', async () => {
    const withoutTests = await submitTestJob(deployment([]), progress);
    const withHttpTestOnly = await submitTestJob(deployment([{ http: { url: 'https://splitter.example.com/health' } }]), progress);

    expect(withoutTests).toStrictEqual({ submitted: false });
    expect(withHttpTestOnly).toStrictEqual({ submitted: false });
    expect(batchMock.calls()).toHaveLength(0);
  });

  it('fails when SubmitJob returns no job id', async () => {
    batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
    batchMock.on(SubmitJobCommand).resolves({});

    await expect(submitTestJob(deployment(), progress)).rejects.toThrow('SubmitJob returned no job id');
  });
});

describe('checkTestJob', () => {
  it('passes when the job SUCCEEDED', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job({ status: 'SUCCEEDED' })] });

    const checked = await checkTestJob(testJob());

    expect(checked).toStrictEqual(testJob({ status: 'SUCCEEDED' }));
    expect(batchMock.commandCalls(DescribeJobsCommand).map((call) => call.args[0].input)).toStrictEqual([{ jobs: ['job-1'] }]);
  });

  it('reports the status of a job still on its way before its deadline, without terminating it', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job({ status: 'STARTING' })] });

    const checked = await checkTestJob(testJob());

    expect(checked).toStrictEqual(testJob({ status: 'STARTING' }));
    expect(batchMock.commandCalls(TerminateJobCommand)).toHaveLength(0);
  });

  it('throws SmokeTestFailed with the status reason, exit code and log stream when the job FAILED', async () => {
    batchMock.on(DescribeJobsCommand).resolves({
      jobs: [
        job({
          status: 'FAILED',
          statusReason: 'Essential container in task exited',
          attempts: [
            { container: { exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage', logStreamName: 'splitter/default/older' } },
            { container: { exitCode: 1, logStreamName: 'splitter/default/0123456789abcdef' } },
          ],
        }),
      ],
    });

    const result = checkTestJob(testJob());

    await expect(result).rejects.toBeInstanceOf(SmokeTestFailed);
    await expect(result).rejects.toMatchObject({
      name: 'SmokeTestFailed',
      message: `test job ${JOB_NAME} (job-1) on splitter:13 FAILED: Essential container in task exited; exit code 1; log stream splitter/default/0123456789abcdef`,
    });
    expect(batchMock.commandCalls(TerminateJobCommand)).toHaveLength(0);
  });

  it('says no reason was given when a FAILED job has none', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job({ status: 'FAILED' })] });

    await expect(checkTestJob(testJob())).rejects.toMatchObject({ name: 'SmokeTestFailed', message: expect.stringContaining('FAILED: no reason given') });
  });

  it('terminates a job past its deadline and then throws SmokeTestFailed', async () => {
    const pastDeadline = testJob({ deadline: '2000-01-01T00:00:00.000Z' });
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job({ status: 'RUNNABLE' })] });
    batchMock.on(TerminateJobCommand).resolves({});

    const result = checkTestJob(pastDeadline);

    await expect(result).rejects.toBeInstanceOf(SmokeTestFailed);
    await expect(result).rejects.toMatchObject({
      message: `test job ${JOB_NAME} (job-1) on splitter:13 did not finish by 2000-01-01T00:00:00.000Z (still RUNNABLE); it was terminated. Raise batchJob.timeoutSeconds if it is just slow.`,
    });
    expect(batchMock.commandCalls(TerminateJobCommand).map((call) => call.args[0].input)).toStrictEqual([{ jobId: 'job-1', reason: 'ecr-deployer: test job passed its deadline' }]);
  });

  it('passes a job that SUCCEEDED even when it is looked at past its deadline', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [job({ status: 'SUCCEEDED' })] });

    const checked = await checkTestJob(testJob({ deadline: '2000-01-01T00:00:00.000Z' }));

    expect(checked.status).toBe('SUCCEEDED');
    expect(batchMock.commandCalls(TerminateJobCommand)).toHaveLength(0);
  });

  it('throws SmokeTestFailed when Batch no longer knows the job', async () => {
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [] });

    await expect(checkTestJob(testJob())).rejects.toMatchObject({
      name: 'SmokeTestFailed',
      message: `test job ${JOB_NAME} (job-1) is gone: Batch keeps finished jobs for a limited time only`,
    });
  });

  it('fails without calling Batch when no test job was recorded', async () => {
    await expect(checkTestJob({ submitted: true })).rejects.toThrow('no test job recorded: the submit step did not run');
    expect(batchMock.calls()).toHaveLength(0);
  });
});
