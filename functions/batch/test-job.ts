import { DescribeJobsCommand, ListJobsCommand, SubmitJobCommand, TerminateJobCommand, type JobDetail } from '@aws-sdk/client-batch';
import type { BatchJobSmokeTest } from '../config/schema';
import { batch } from '../shared/clients/batch';
import type { BatchProgress, BatchTestJob, Deployment } from '../shared/deployment';
import { SmokeTestFailed } from '../shared/errors';
import { jobDefinitionLabel } from './job-definition';

/** Batch job names: up to 128 letters, digits, hyphens and underscores. */
function testJobName(deploymentId: string): string {
  return `ecr-deployer-test-${deploymentId}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 128);
}

function batchJobTestOf(deployment: Deployment): BatchJobSmokeTest | undefined {
  for (const test of deployment.settings.smokeTests) if ('batchJob' in test) return test.batchJob;
  return undefined;
}

/** A job of this deployment already in the queue: a retried submit step must not submit twice. */
async function findSubmittedTestJob(jobQueue: string, jobName: string): Promise<string | undefined> {
  const listed = await batch.send(new ListJobsCommand({ jobQueue, filters: [{ name: 'JOB_NAME', values: [jobName] }] }));
  return listed.jobSummaryList?.find((job) => job.jobName === jobName)?.jobId;
}

/**
 * Submits the target's test job on the new revision (pinned by ARN, not by name,
 * so it tests exactly what was registered). Without a batchJob smoke test, nothing.
 */
async function submitTestJob(deployment: Deployment, progress: BatchProgress): Promise<BatchTestJob> {
  const test = batchJobTestOf(deployment);
  if (!test) return { submitted: false };
  const jobName = testJobName(deployment.id);
  let jobId = await findSubmittedTestJob(test.jobQueue, jobName);
  if (!jobId) {
    const submitted = await batch.send(
      new SubmitJobCommand({
        jobName,
        jobQueue: test.jobQueue,
        jobDefinition: progress.newJobDefinitionArn,
        parameters: test.parameters,
        containerOverrides: test.containerOverrides,
      }),
    );
    jobId = submitted.jobId;
  }
  if (!jobId) throw new Error('SubmitJob returned no job id');
  return {
    submitted: true,
    jobId,
    jobName,
    jobQueue: test.jobQueue,
    status: 'SUBMITTED',
    pollSeconds: test.pollSeconds,
    deadline: new Date(Date.now() + test.timeoutSeconds * 1000).toISOString(),
  };
}

function describeFailure(job: JobDetail): string {
  const attempt = job.attempts?.at(-1)?.container;
  const details = [
    job.statusReason,
    attempt?.exitCode !== undefined ? `exit code ${attempt.exitCode}` : undefined,
    attempt?.reason,
    attempt?.logStreamName ? `log stream ${attempt.logStreamName}` : undefined,
  ].filter(Boolean);
  return details.join('; ') || 'no reason given';
}

/**
 * One look at the test job: SUCCEEDED passes, FAILED fails the deployment, and
 * past its deadline the job is terminated and the deployment fails. A job can sit
 * in RUNNABLE for ever when the queue has no capacity: hence the deadline.
 */
async function checkTestJob(test: BatchTestJob): Promise<BatchTestJob> {
  if (!test.jobId) throw new Error('no test job recorded: the submit step did not run');
  const described = await batch.send(new DescribeJobsCommand({ jobs: [test.jobId] }));
  const job = described.jobs?.[0];
  const label = `test job ${test.jobName} (${test.jobId})`;
  if (!job) throw new SmokeTestFailed(`${label} is gone: Batch keeps finished jobs for a limited time only`);
  const on = job.jobDefinition ? ` on ${jobDefinitionLabel(job.jobDefinition)}` : '';
  if (job.status === 'SUCCEEDED') return { ...test, status: 'SUCCEEDED' };
  if (job.status === 'FAILED') throw new SmokeTestFailed(`${label}${on} FAILED: ${describeFailure(job)}`);
  if (test.deadline && Date.now() > Date.parse(test.deadline)) {
    await batch.send(new TerminateJobCommand({ jobId: test.jobId, reason: 'ecr-deployer: test job passed its deadline' }));
    throw new SmokeTestFailed(`${label}${on} did not finish by ${test.deadline} (still ${job.status}); it was terminated. Raise batchJob.timeoutSeconds if it is just slow.`);
  }
  return { ...test, status: job.status };
}

const FINISHED = new Set(['SUCCEEDED', 'FAILED']);

/**
 * After a failure, stops the deployment's test job if it still runs (it tests a
 * revision that is being rolled back). Undefined when there is nothing left to do;
 * else what a person must do, when Batch would not stop it.
 */
async function stopUnfinishedTestJob(test: BatchTestJob | undefined): Promise<string | undefined> {
  if (!test?.submitted || !test.jobId) return undefined;
  try {
    const described = await batch.send(new DescribeJobsCommand({ jobs: [test.jobId] }));
    const status = described.jobs?.[0]?.status;
    if (status === undefined || FINISHED.has(status)) return undefined;
    await batch.send(new TerminateJobCommand({ jobId: test.jobId, reason: 'ecr-deployer: the deployment it tests is rolled back' }));
    return undefined;
  } catch (error) {
    return `test job ${test.jobName ?? ''} (${test.jobId}) may still run: stopping it failed (${(error as Error).name}: ${(error as Error).message}). Terminate it by hand: aws batch terminate-job --job-id ${test.jobId} --reason rolled-back`;
  }
}

export { submitTestJob, checkTestJob, stopUnfinishedTestJob, testJobName };
