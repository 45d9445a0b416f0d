import {
  BatchClient,
  ClientException,
  DeregisterJobDefinitionCommand,
  DescribeJobDefinitionsCommand,
  DescribeJobsCommand,
  ListJobsCommand,
  RegisterJobDefinitionCommand,
  SubmitJobCommand,
  TerminateJobCommand,
  type DescribeJobDefinitionsCommandInput,
  type JobDefinition,
  type JobDetail,
  type ListJobsCommandInput,
  type RegisterJobDefinitionCommandInput,
  type SubmitJobCommandInput,
} from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { findImageSlots } from '../functions/batch/job-definition';

/**
 * AWS Batch in memory: job definition revisions and jobs. Jobs move one state each
 * time they are described; how they end depends on the image they run.
 */

type JobOutcome = 'SUCCEEDED' | 'FAILED' | 'STUCK';

/** Wraps a fake command: records the call, fails it when a failure is injected. */
type Handle = <I, O>(service: string, command: string, run: (input: I) => O) => (input: I) => Promise<O>;

const JOB_PROGRESSION = ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING'] as const;
/** DescribeJobDefinitions pages this many revisions, to exercise pagination. */
const PAGE_SIZE = 2;

class SimulatedBatch {
  public readonly jobDefinitions: JobDefinition[] = [];
  public readonly jobs: (JobDetail & { looks: number })[] = [];
  /** Job definitions (by name) whose jobs fail whatever image they run: a rehearsal's --fail-smoke. */
  public readonly failingJobDefinitions = new Set<string>();
  private readonly mock = mockClient(BatchClient);

  public constructor(
    private readonly accountId: string,
    private readonly region: string,
    private readonly outcomeOfImage: (image: string) => JobOutcome,
    handle: Handle,
  ) {
    this.install(handle);
  }

  public restore(): void {
    this.mock.restore();
  }

  public registerJobDefinition(input: RegisterJobDefinitionCommandInput): JobDefinition {
    const name = input.jobDefinitionName ?? 'unnamed';
    const revision = this.jobDefinitions.filter((d) => d.jobDefinitionName === name).length + 1;
    const definition = {
      ...(structuredClone(input) as unknown as JobDefinition),
      jobDefinitionArn: `arn:aws:batch:${this.region}:${this.accountId}:job-definition/${name}:${revision}`,
      revision,
      status: 'ACTIVE',
      containerOrchestrationType: 'ECS',
    } as JobDefinition;
    this.jobDefinitions.push(definition);
    return definition;
  }

  /** The revision jobs submitted by name get: the latest ACTIVE one. */
  public latestActive(name: string): JobDefinition | undefined {
    return this.jobDefinitions.filter((d) => d.jobDefinitionName === name && d.status === 'ACTIVE').sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0))[0];
  }

  private outcomeOf(jobDefinitionArn: string | undefined): JobOutcome {
    const definition = this.jobDefinitions.find((d) => d.jobDefinitionArn === jobDefinitionArn);
    if (definition?.jobDefinitionName && this.failingJobDefinitions.has(definition.jobDefinitionName)) return 'FAILED';
    const outcomes = definition ? findImageSlots(definition).map((slot) => this.outcomeOfImage(slot.image)) : [];
    if (outcomes.includes('FAILED')) return 'FAILED';
    if (outcomes.includes('STUCK')) return 'STUCK';
    return 'SUCCEEDED';
  }

  private advance(job: JobDetail & { looks: number }): void {
    if (job.status === 'SUCCEEDED' || job.status === 'FAILED') return;
    job.looks += 1;
    const outcome = this.outcomeOf(job.jobDefinition);
    if (outcome === 'STUCK') {
      job.status = 'RUNNABLE';
      return;
    }
    if (job.looks < 2) {
      job.status = JOB_PROGRESSION[Math.min(job.looks + 2, JOB_PROGRESSION.length - 1)];
      return;
    }
    job.status = outcome;
    job.stoppedAt = Date.now();
    if (outcome === 'FAILED') {
      job.statusReason = 'Essential container in task exited';
      job.attempts = [{ container: { exitCode: 1, reason: 'ffmpeg: input file has no video stream', logStreamName: `${job.jobName}/default/${job.jobId}` } }];
    }
  }

  private install(handle: Handle): void {
    this.mock.on(DescribeJobDefinitionsCommand).callsFake(
      handle('Batch', 'DescribeJobDefinitions', (input: DescribeJobDefinitionsCommandInput) => {
        const matching = this.jobDefinitions.filter(
          (d) => (!input.jobDefinitionName || d.jobDefinitionName === input.jobDefinitionName) && (!input.status || d.status === input.status),
        );
        const start = Number(input.nextToken ?? 0);
        const page = matching.slice(start, start + PAGE_SIZE);
        return { jobDefinitions: structuredClone(page), nextToken: start + PAGE_SIZE < matching.length ? String(start + PAGE_SIZE) : undefined };
      }),
    );

    this.mock.on(RegisterJobDefinitionCommand).callsFake(
      handle('Batch', 'RegisterJobDefinition', (input: RegisterJobDefinitionCommandInput) => {
        const definition = this.registerJobDefinition(input);
        return { jobDefinitionName: definition.jobDefinitionName, jobDefinitionArn: definition.jobDefinitionArn, revision: definition.revision };
      }),
    );

    this.mock.on(DeregisterJobDefinitionCommand).callsFake(
      handle('Batch', 'DeregisterJobDefinition', (input: { jobDefinition?: string }) => {
        const definition = this.jobDefinitions.find((d) => d.jobDefinitionArn === input.jobDefinition);
        if (!definition) throw new ClientException({ message: `JobDefinition ${input.jobDefinition} not found`, $metadata: { httpStatusCode: 400 } });
        definition.status = 'INACTIVE';
        return {};
      }),
    );

    this.mock.on(SubmitJobCommand).callsFake(
      handle('Batch', 'SubmitJob', (input: SubmitJobCommandInput) => {
        const definition =
          this.jobDefinitions.find((d) => d.jobDefinitionArn === input.jobDefinition) ?? this.latestActive(input.jobDefinition ?? '');
        if (!definition || definition.status !== 'ACTIVE') {
          throw new ClientException({ message: `JobDefinition ${input.jobDefinition} is not in ACTIVE status`, $metadata: { httpStatusCode: 400 } });
        }
        const jobId = `0000000${this.jobs.length + 1}-aaaa-4bbb-8ccc-dddddddddddd`;
        this.jobs.push({
          jobId,
          jobName: input.jobName,
          jobQueue: `arn:aws:batch:${this.region}:${this.accountId}:job-queue/${input.jobQueue}`,
          jobDefinition: definition.jobDefinitionArn,
          status: 'SUBMITTED',
          createdAt: Date.now(),
          startedAt: undefined,
          looks: 0,
        });
        return { jobId, jobName: input.jobName, jobArn: `arn:aws:batch:${this.region}:${this.accountId}:job/${jobId}` };
      }),
    );

    this.mock.on(ListJobsCommand).callsFake(
      handle('Batch', 'ListJobs', (input: ListJobsCommandInput) => {
        const names = input.filters?.find((f) => f.name === 'JOB_NAME')?.values ?? [];
        const listed = this.jobs.filter((job) => job.jobQueue?.endsWith(`/${input.jobQueue}`) && (names.length === 0 || names.includes(job.jobName ?? '')));
        return { jobSummaryList: listed.map((job) => ({ jobId: job.jobId, jobName: job.jobName, status: job.status })) };
      }),
    );

    this.mock.on(DescribeJobsCommand).callsFake(
      handle('Batch', 'DescribeJobs', (input: { jobs?: string[] }) => {
        const found = this.jobs.filter((job) => input.jobs?.includes(job.jobId ?? ''));
        for (const job of found) this.advance(job);
        return { jobs: found.map(({ looks: _looks, ...job }) => structuredClone(job)) };
      }),
    );

    this.mock.on(TerminateJobCommand).callsFake(
      handle('Batch', 'TerminateJob', (input: { jobId?: string; reason?: string }) => {
        const job = this.jobs.find((j) => j.jobId === input.jobId);
        if (job && job.status !== 'SUCCEEDED' && job.status !== 'FAILED') {
          job.status = 'FAILED';
          job.statusReason = input.reason;
        }
        return {};
      }),
    );
  }
}

export { SimulatedBatch };
export type { JobOutcome };
