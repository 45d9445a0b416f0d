import { z } from 'zod';
import { TARGET_KINDS, type TargetKind } from './kinds';
import { slotOf } from '../slots/identity';
import { GRAMMARS, awsName, secretReferenceSchema } from './names';
import { addressRefusal } from '../smoke/addresses';
import { isCredentialHeader } from '../smoke/headers';
import { notificationsSchema, targetNotificationsSchema } from './notifications-schema';
import { MAX_ALARMS, stateBudgetProblem } from './state-budget';
import { DEFAULT_ECS_EVENTS_ROLE } from '../scheduled-tasks/model';


const NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

/** Bounds that keep every deployment's state well under Step Functions' 256 KiB (see state-budget.ts). */
const MAX_TAG_GLOBS = 20;
const MAX_SMOKE_TESTS = 20;
const MAX_INVOKE_PAYLOAD_BYTES = 32 * 1024;

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

/**
 * A tag glob: tag characters (the OCI grammar) and glob syntax, no longer than
 * a tag can be. `*` does not cross `/`, which tags cannot contain anyway.
 */
const tagGlobSchema = z
  .string()
  .min(1)
  .max(128, 'at most 128 characters: no image tag is longer')
  .regex(/^[A-Za-z0-9_.\-*?[\]{},!^]+$/, 'a tag glob of tag characters (A-Z, a-z, 0-9, _, ., -) and *, ?, [], {}, !');
/** RFC 9110 token: what Node accepts as a header name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const SECRET_REFERENCE = 'a Secrets Manager secret name, or ssm:/parameter-name for an SSM SecureString';

const headerSecretSchema = z
  .object({
    secret: secretReferenceSchema.describe(`Where the header value is kept: ${SECRET_REFERENCE}. Read by the smoke-test Lambda at run time, so the value is never in deployments.yml, execution history, events or logs.`),
  })
  .strict();

const headersSchema = z
  .record(z.string().max(256), z.union([z.string().max(8192).regex(/^[^\r\n]*$/, 'must be on one line'), headerSecretSchema]))
  .refine((headers) => Object.keys(headers).length <= 20, 'at most 20 headers')
  .superRefine((headers, ctx) => {
    for (const [name, value] of Object.entries(headers)) {
      if (!HEADER_NAME.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is not a valid header name (letters, digits and !#$%&\'*+.^_`|~- only)' });
      } else if (typeof value === 'string' && isCredentialHeader(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `${name} carries a credential, and a value written here would be in every execution's input, history and events: keep it in Secrets Manager or SSM and use {secret: "<${SECRET_REFERENCE}>"}`,
        });
      }
    }
  })
  .describe('Request headers: a plain value, or {secret: …} to read it from Secrets Manager or SSM. Credential headers (Authorization, Cookie, X-Api-Key, names with token, secret, key, password or auth) must use {secret: …}.');

const smokeUrlSchema = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(2048).superRefine((text, ctx) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return; // reported by z.url
  }
  if (url.username || url.password) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must not carry a user or password (it would be in every execution\'s input, history and events): keep the credential in Secrets Manager or SSM and send it in a header, e.g. headers: { Authorization: { secret: "<secret name>" } }',
    });
  }
  const refused = addressRefusal(url);
  if (refused) ctx.addIssue({ code: 'custom', message: `${refused} (README, "HTTP smoke tests: what they may reach, and credentials")` });
});

/** `prediction.label`, `items.0.id`: keys (and array indices) from the top of a JSON response. */
const JSON_PATH = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;

const httpSmokeTestSchema = z
  .object({
    url: smokeUrlSchema,
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
    headers: headersSchema.optional(),
    body: z
      .unknown()
      .optional()
      .refine((body) => body === undefined || jsonBytes(body) <= MAX_INVOKE_PAYLOAD_BYTES, `at most ${MAX_INVOKE_PAYLOAD_BYTES / 1024} KiB: it travels in the deployment's state`)
      .describe('Request body: a string is sent as it is (text/plain unless a content-type header says otherwise), anything else as JSON (application/json)'),
    expectStatus: z.number().int().min(100).max(599).default(200),
    bodyContains: z.string().min(1).max(1024).optional(),
    expectJson: z
      .record(z.string().regex(JSON_PATH, 'a path of keys and indices from the top of the JSON response, e.g. prediction.label or items.0.id'), z.unknown())
      .refine((expected) => Object.keys(expected).length >= 1 && Object.keys(expected).length <= 10, '1 to 10 paths')
      .refine((expected) => jsonBytes(expected) <= 4096, 'at most 4 KiB of expected values')
      .optional()
      .describe('The response is JSON and each path has this value, e.g. { status: ok, "model.ready": true }'),
    attempts: z.number().int().min(1).max(60).default(5),
    intervalSeconds: z.number().int().min(0).max(3600).default(10),
    timeoutSeconds: z.number().int().min(1).max(60).default(5),
    stage: z
      .enum(['production', 'test-traffic'])
      .default('production')
      .describe("production (default): once the new revision serves production traffic. test-traffic: an ECS service on ECS's BLUE_GREEN, LINEAR or CANARY strategy, while ECS holds the deployment at POST_TEST_TRAFFIC_SHIFT (a PAUSE lifecycle hook), against the test listener's URL: a failure rolls back before any production request reaches the new revision."),
  })
  .strict()
  .refine((test) => test.body === undefined || !['GET', 'HEAD'].includes(test.method), { message: 'a body is sent with POST, PUT, PATCH or DELETE: set method', path: ['body'] });

/**
 * Step Functions keeps at most 25,000 events per execution; each poll of a wait
 * loop takes a handful. Bounding polls per wait keeps a long wait from hitting it.
 */
const MAX_POLLS_PER_WAIT = 1000;

function pollsWithinLimit(timeoutSeconds: number, pollSeconds: number): boolean {
  return timeoutSeconds / pollSeconds <= MAX_POLLS_PER_WAIT;
}

const tooManyPolls = `at most ${MAX_POLLS_PER_WAIT} polls per wait (timeout / pollSeconds): raise pollSeconds. Step Functions keeps at most 25,000 events per execution.`;

const batchJobSmokeTestSchema = z
  .object({
    jobQueue: awsName(GRAMMARS.jobQueue).describe('Job queue name the test job is submitted to'),
    parameters: z
      .record(z.string().min(1).max(128), z.string().max(1024))
      .refine((parameters) => Object.keys(parameters).length <= 50, 'at most 50 parameters')
      .optional()
      .describe('Parameters substituted into Ref:: placeholders of the command'),
    containerOverrides: z
      .object({
        command: z.array(z.string().max(1024)).max(100).optional(),
        environment: z.array(z.object({ name: z.string().min(1).max(256), value: z.string().max(1024) }).strict()).max(100).optional(),
        resourceRequirements: z.array(z.object({ type: z.enum(['GPU', 'VCPU', 'MEMORY']), value: z.string().min(1).max(32) }).strict()).max(3).optional(),
      })
      .strict()
      .optional(),
    timeoutSeconds: z.number().int().min(60).max(86_400).default(1800).describe('Deadline for the test job to SUCCEED; it is terminated after'),
    pollSeconds: z.number().int().min(5).max(600).default(30),
  })
  .strict()
  .refine((test) => pollsWithinLimit(test.timeoutSeconds, test.pollSeconds), { message: tooManyPolls, path: ['pollSeconds'] });

const invokeSmokeTestSchema = z
  .object({
    payload: z
      .unknown()
      .optional()
      .refine((payload) => payload === undefined || jsonBytes(payload) <= MAX_INVOKE_PAYLOAD_BYTES, `at most ${MAX_INVOKE_PAYLOAD_BYTES / 1024} KiB of JSON: it travels in the deployment's state`)
      .describe('JSON event the function is invoked with (default {})'),
    expectPayloadContains: z.string().min(1).max(1024).optional().describe('Text the JSON response must contain'),
    attempts: z.number().int().min(1).max(60).default(3),
    intervalSeconds: z.number().int().min(0).max(3600).default(5),
  })
  .strict();

const smokeTestSchema = z.union([
  z.object({ http: httpSmokeTestSchema }).strict(),
  z.object({ batchJob: batchJobSmokeTestSchema }).strict(),
  z.object({ invoke: invokeSmokeTestSchema }).strict(),
]);

/** Container names that get the new image; `default` says what happens without them. */
// A task definition has at most 10 containers (ECS service quotas).
const containerNames = (description: string) => z.array(awsName(GRAMMARS.container)).min(1).max(10).optional().describe(description);

/** IAM roles (names) the definition uses: the deployer may pass only these. */
const passRoles = (what: string) =>
  z
    .array(awsName(GRAMMARS.iamRole))
    .max(10)
    .optional()
    .describe(`IAM roles (names, with their path if any) the ${what} uses; the deployer may pass only these.`);

const preDeployTaskSchema = z
  .object({
    command: z.array(z.string().min(1).max(1024)).min(1).max(20).describe('The command the one-off task runs (a container override), e.g. ["python", "manage.py", "migrate"]. It must exit 0 before the service changes.'),
    container: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'a container name of the task definition').optional().describe('The container that runs it. Default: the first container that gets the new image.'),
    timeoutSeconds: z.number().int().min(60).max(3600).default(900).describe('Stopped and failed after this long.'),
    pollSeconds: z.number().int().min(5).max(300).default(15),
  })
  .strict()
  .refine((task) => task.timeoutSeconds / task.pollSeconds <= 1000, { message: 'at most 1000 looks per task: raise pollSeconds or lower timeoutSeconds', path: ['pollSeconds'] });

/** At most this many rules per target: each becomes an IAM resource, and each re-pointed target a line of the SUCCEEDED event. */
const MAX_SCHEDULED_RULES = 10;

const ruleNames = z.array(awsName(GRAMMARS.eventRule)).min(1).max(MAX_SCHEDULED_RULES);
const EVENTS_ROLES_WHY = "The IAM roles (names) the rules' targets run with: re-pointing a target passes its role to EventBridge again (iam:PassRole), so the deployer may pass only these";
const eventsRolesSchema = z.array(awsName(GRAMMARS.iamRole)).min(1).max(10);


const scheduledTasksSchema = z
  .union([
    z.literal('auto'),
    ruleNames,
    z
      .object({
        rules: z.union([z.literal('auto'), ruleNames]),
        eventsRoles: eventsRolesSchema.default([DEFAULT_ECS_EVENTS_ROLE]).describe(`${EVENTS_ROLES_WHY} (default ${DEFAULT_ECS_EVENTS_ROLE}, the role the ECS console creates for scheduled tasks).`),
      })
      .strict(),
  ])
  .describe(
    "EventBridge rules (default event bus) whose ECS targets run this service's task-definition family, pinned to a revision: after a deployment SUCCEEDED, they are re-pointed to its revision, every other field kept. A list of rule names, auto (the rules whose targets are the service's cluster), or {rules, eventsRoles}.",
  );

const scheduledJobsSchema = z
  .object({
    rules: ruleNames.describe('EventBridge rules (default event bus) whose Batch targets submit this job definition pinned to name:revision (or its ARN).'),
    eventsRoles: eventsRolesSchema.describe(`${EVENTS_ROLES_WHY}.`),
  })
  .strict()
  .describe('EventBridge rules whose targets submit this job definition by name:revision: after a deployment SUCCEEDED, re-pointed to its revision, every other field kept. Targets that submit it by name alone already get the latest revision.');

const ecsTargetSchema = z
  .object({
    cluster: awsName(GRAMMARS.ecsCluster),
    service: awsName(GRAMMARS.ecsService),
    containers: containerNames('Containers that get the new image. Default: those whose image comes from the repository.'),
    passRoles: passRoles('task definition'),
    preDeployTask: preDeployTaskSchema.optional().describe('A one-off task from the new revision, in the service\'s network configuration (database migrations, say), that must exit 0 before the service changes.'),
    scheduledTasks: scheduledTasksSchema.optional(),
  })
  .strict();

const batchTargetSchema = z
  .object({
    jobDefinition: awsName(GRAMMARS.jobDefinition).describe('Job definition name: its latest ACTIVE revision is copied with the new image'),
    containers: containerNames('ECS/EKS containers that get the new image. Default: those whose image comes from the repository, or the only image the job runs.'),
    passRoles: passRoles('job definition'),
    scheduledJobs: scheduledJobsSchema.optional(),
  })
  .strict();

const canaryStepSchema = z
  .object({
    weightPercent: z.number().min(1).max(99).describe('Share of the alias traffic the new version gets during this step'),
    bakeSeconds: z.number().int().min(0).max(86_400).describe('How long the step lasts; smoke tests run at its end'),
  })
  .strict();

const lambdaTargetSchema = z
  .object({
    function: awsName(GRAMMARS.lambdaFunction).describe('Function name of a container-image Lambda function'),
    alias: awsName(GRAMMARS.lambdaAlias).optional().describe('Alias to shift to the new version (recommended); without it, $LATEST is updated'),
    canary: z
      .union([canaryStepSchema, z.object({ steps: z.array(canaryStepSchema).min(1).max(10) }).strict()])
      .optional()
      .describe('Weighted alias routing before the full shift: one step, or a linear series of steps'),
  })
  .strict()
  .refine((lambda) => !lambda.canary || lambda.alias, { message: 'a canary needs an alias', path: ['canary'] });

const rolloutSchema = z
  .object({
    timeoutSeconds: z.number().int().min(0).max(86_400).default(900),
    rollbackTimeoutSeconds: z.number().int().min(60).max(86_400).default(900),
    pollSeconds: z.number().int().min(1).max(300).default(15),
    waitForSlotSeconds: z
      .number()
      .int()
      .min(0)
      .max(86_400)
      .default(900)
      .describe('How long a deployment asked for by hand waits for the one running on the same service, function or job definition; then it is refused with SlotBusy'),
    mergeWindowSeconds: z
      .number()
      .int()
      .min(0)
      .max(3600)
      .default(30)
      .describe('Targets sharing a service or job definition: how long a push waits for the other targets\' images of the same release, so that they deploy together in one revision'),
  })
  .strict()
  .refine((rollout) => pollsWithinLimit(Math.max(rollout.timeoutSeconds, rollout.rollbackTimeoutSeconds, rollout.waitForSlotSeconds), rollout.pollSeconds), {
    message: tooManyPolls,
    path: ['pollSeconds'],
  });

const ROLLOUT_DEFAULTS = { timeoutSeconds: 900, rollbackTimeoutSeconds: 900, pollSeconds: 15, waitForSlotSeconds: 900, mergeWindowSeconds: 30 };

const promoteSchema = z
  .object({
    from: z.string().regex(NAME_PATTERN, 'must name a target of this file').describe('The target whose tested image this one deploys: what it runs now and last SUCCEEDED with.'),
    automatically: z.boolean().default(false).describe('Start the promotion as soon as a deployment of `from` SUCCEEDED (an approval, if required, still gates it).'),
    copyImage: z
      .boolean()
      .default(false)
      .describe("When `from` follows another repository: copy the image's manifest into this target's repository first (ECR BatchGetImage + PutImage, same account), under its tag. Without it, such a promotion is refused."),
  })
  .strict();

const approvalSchema = z
  .object({
    required: z.boolean().default(true),
    timeoutSeconds: z.number().int().min(60).max(7 * 24 * 3600).default(24 * 3600).describe('How long a deployment waits for a decision before it is SKIPPED.'),
  })
  .strict();

const SCAN_SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'] as const;

const gatesSchema = z
  .object({
    scanFindings: z
      .object({
        failOn: z.enum(SCAN_SEVERITIES).describe("Refuse an image with ECR scan findings of this severity or worse (basic or enhanced scanning), before anything changes."),
        waitSeconds: z.number().int().min(0).max(3600).default(600).describe('How long to wait for a scan still in progress before refusing.'),
        onMissingScan: z.enum(['refuse', 'allow']).default('refuse').describe('An image ECR has no scan of (scanning off, unsupported image): refuse it (default), or deploy it and say so.'),
      })
      .strict()
      .optional(),
  })
  .strict();

const reconcileSchema = z
  .union([
    z.literal(false),
    z
      .object({
        everyMinutes: z.number().int().min(5).max(1440).default(15).describe('How often the reconciler looks at the target: a push EventBridge lost, and drift (default 15).'),
        onDrift: z.enum(['report', 'redeploy']).default('report').describe('When the target runs something else than the deployer left there: report it (DRIFT_DETECTED), or also put the deployed image back through the slot.'),
      })
      .strict(),
  ])
  .default({ everyMinutes: 15, onDrift: 'report' })
  .describe('The reconciler (a schedule): deploys pushes EventBridge lost and reports drift. false: never for this target.');

const alarmsSchema = z
  .object({
    names: z.array(awsName(GRAMMARS.cloudwatchAlarm)).min(1).max(MAX_ALARMS).describe('CloudWatch alarms (metric or composite, by name) that judge the new image.'),
    bakeSeconds: z.number().int().min(0).max(86_400).default(300).describe('After the smoke tests passed, how long the alarms must stay out of ALARM before the deployment SUCCEEDED (default 300).'),
    pollSeconds: z.number().int().min(10).max(300).default(30).describe('How often the alarms are looked at while baking (default 30); every transition in between is read from their history.'),
  })
  .strict()
  .refine((alarms) => pollsWithinLimit(alarms.bakeSeconds, alarms.pollSeconds), { message: tooManyPolls, path: ['pollSeconds'] })
  .describe(
    'CloudWatch alarms that gate the deployment: one going to ALARM after the deployment began (during a Lambda canary step, or the bake after the smoke tests) rolls it back. An alarm already in ALARM when it began is reported, not blamed on the new image.',
  );

const tagPolicySchema = z
  .union([
    z.enum(['glob', 'semver']),
    z
      .object({
        semver: z
          .object({
            allow: z.enum(['major', 'minor', 'patch']).default('major').describe('How far a push may move the version: any higher version (major), within the major version (minor), or within the minor version (patch).'),
            prerelease: z.union([z.boolean(), z.array(z.string().regex(/^[0-9A-Za-z-]+$/)).min(1)]).default(false).describe('Prereleases (v1.5.0-rc.1): none (false), any (true), or those whose first label is listed (["rc"]).'),
          })
          .strict(),
      })
      .strict(),
  ])
  .default('glob')
  .describe('Which pushes deploy by themselves: glob (push time orders them, the default), or semver (the tag\'s version orders them; older versions and the refused ones are SKIPPED).');

const targetSchema = z
  .object({
    name: z.string().regex(NAME_PATTERN, 'must be 1-40 characters of a-z, 0-9 and -, starting and ending with a letter or digit'),
    repository: awsName(GRAMMARS.ecrRepository).min(2),
    tags: z.array(tagGlobSchema).min(1).max(MAX_TAG_GLOBS).default(['*']),
    environment: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, '1-64 characters of letters, digits, _, . and -').default('default'),
    trigger: z.enum(['push', 'manual']).default('push').describe('push: an ECR push of a matching tag deploys it. manual: only a person, a promotion or the CLI does.'),
    promote: promoteSchema.optional(),
    approval: approvalSchema.optional(),
    gates: gatesSchema.optional(),
    ecs: ecsTargetSchema.optional(),
    batch: batchTargetSchema.optional(),
    lambda: lambdaTargetSchema.optional(),
    rollout: rolloutSchema.default(ROLLOUT_DEFAULTS),
    smokeTests: z.array(smokeTestSchema).max(MAX_SMOKE_TESTS).default([]),
    alarms: alarmsSchema.optional(),
    notifications: targetNotificationsSchema.optional(),
    reconcile: reconcileSchema,
    tagPolicy: tagPolicySchema,
    rollbackWindow: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(0)
      .describe('A deployment by hand of one of the target\'s last N successful images (before the one it runs) is a fast rollback: no canary, no bake (default 0).'),
  })
  .strict()
  .superRefine((target, ctx) => {
    const kinds = TARGET_KINDS.filter((kind) => target[kind] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: 'custom', path: [], message: `give exactly one of ${TARGET_KINDS.join(', ')} (found ${kinds.length === 0 ? 'none' : kinds.join(' and ')})` });
    }
    target.smokeTests.forEach((test, index) => {
      if ('batchJob' in test && !target.batch) ctx.addIssue({ code: 'custom', path: ['smokeTests', index, 'batchJob'], message: 'a batchJob smoke test needs a batch target' });
      if ('invoke' in test && !target.lambda) ctx.addIssue({ code: 'custom', path: ['smokeTests', index, 'invoke'], message: 'an invoke smoke test needs a lambda target' });
      if ('http' in test && test.http.stage === 'test-traffic' && !target.ecs) ctx.addIssue({ code: 'custom', path: ['smokeTests', index, 'http', 'stage'], message: "test-traffic smoke tests need an ECS target on ECS's BLUE_GREEN, LINEAR or CANARY strategy" });
    });
  });

type ParsedTarget = z.infer<typeof targetSchema>;

/** The containers a target claims in its slot: those it names, else (`undefined`) every one running its repository's image. */
function claimedContainers(target: ParsedTarget): string[] | undefined {
  return target.ecs?.containers ?? target.batch?.containers;
}

/**
 * Why two targets of one slot cannot both deploy, if they cannot: a function runs
 * one image; two targets may not replace the same container.
 */
function slotConflict(a: ParsedTarget, b: ParsedTarget, slot: string): string | undefined {
  if (a.lambda || b.lambda) return `both deploy Lambda function ${slot.slice('lambda:'.length)}, which runs one image: deploy it from one target`;
  const mine = claimedContainers(a);
  const theirs = claimedContainers(b);
  const field = a.ecs ? 'ecs.containers' : 'batch.containers';
  if (mine && theirs) {
    const shared = mine.filter((name) => theirs.includes(name));
    return shared.length > 0 ? `both replace container ${shared.map((n) => `"${n}"`).join(', ')} of ${slot}: give each target its own ${field}` : undefined;
  }
  if (a.repository === b.repository) return `both follow repository ${a.repository} on ${slot}, so both would replace its containers: give each target its own ${field}`;
  return undefined;
}

const deploymentsFileSchema = z
  .object({
    targets: z.array(targetSchema).min(1),
    notifications: notificationsSchema.optional(),
    ledger: z
      .object({
        retentionDays: z.number().int().min(1).max(3650).default(400).describe('How long the deployment ledger keeps each deployment (DynamoDB TTL), in days: `history` reaches this far back.'),
      })
      .strict()
      .default({ retentionDays: 400 })
      .describe('The deployment ledger: every deployment\'s outcome per target, read by history, status and rollback.'),
  })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    const bySlot = new Map<string, { target: ParsedTarget; index: number }[]>();
    file.targets.forEach((target, index) => {
      if (seen.has(target.name)) {
        ctx.addIssue({ code: 'custom', path: ['targets', index, 'name'], message: `duplicate target name "${target.name}"` });
      }
      seen.add(target.name);
      if (TARGET_KINDS.filter((kind) => target[kind] !== undefined).length !== 1) return;
      const key = slotOf(target).key;
      const earlier = bySlot.get(key) ?? [];
      for (const other of earlier) {
        const conflict = slotConflict(other.target, target, key);
        if (conflict) ctx.addIssue({ code: 'custom', path: ['targets', index], message: `${other.target.name} (targets[${other.index}]) and ${target.name} ${conflict}` });
      }
      bySlot.set(key, [...earlier, { target, index }]);
    });
    const names = new Map(file.targets.map((target, index) => [target.name, { target, index }]));
    file.targets.forEach((target, index) => {
      const from = target.promote?.from;
      if (from === undefined) return;
      if (from === target.name) ctx.addIssue({ code: 'custom', path: ['targets', index, 'promote', 'from'], message: 'a target cannot promote from itself' });
      else if (!names.has(from)) ctx.addIssue({ code: 'custom', path: ['targets', index, 'promote', 'from'], message: `no target named "${from}" (known: ${[...names.keys()].join(', ')})` });
    });
    file.targets.forEach((target, index) => {
      // Automatic promotions that lead back to where they started would deploy forever.
      const seen = [target.name];
      let next = target.promote?.automatically ? target.promote.from : undefined;
      while (next !== undefined && !seen.includes(next)) {
        seen.push(next);
        const source = names.get(next)?.target;
        next = source?.promote?.automatically ? source.promote.from : undefined;
      }
      if (next === target.name) ctx.addIssue({ code: 'custom', path: ['targets', index, 'promote', 'automatically'], message: `automatic promotions go round in a circle (${[...seen, next].join(' ← ')}): make one of them manual` });
    });
    for (const [key, members] of bySlot) {
      const problem = stateBudgetProblem(key, members.map((member) => member.target));
      const last = members[members.length - 1];
      if (problem && last) ctx.addIssue({ code: 'custom', path: ['targets', last.index], message: problem });
    }
  });

type DeploymentsFile = z.infer<typeof deploymentsFileSchema>;
type TargetConfig = z.infer<typeof targetSchema>;
type HttpSmokeTest = z.infer<typeof httpSmokeTestSchema>;
type SmokeTest = z.infer<typeof smokeTestSchema>;
type BatchJobSmokeTest = z.infer<typeof batchJobSmokeTestSchema>;
type EcsTargetConfig = z.infer<typeof ecsTargetSchema>;
type BatchTargetConfig = z.infer<typeof batchTargetSchema>;
type LambdaTargetConfig = z.infer<typeof lambdaTargetSchema>;
type CanaryStep = z.infer<typeof canaryStepSchema>;
type InvokeSmokeTest = z.infer<typeof invokeSmokeTestSchema>;
type PromoteConfig = z.infer<typeof promoteSchema>;
type ApprovalConfig = z.infer<typeof approvalSchema>;
type PreDeployTaskConfig = z.infer<typeof preDeployTaskSchema>;
type ReconcileConfig = z.infer<typeof reconcileSchema>;
type AlarmsConfig = z.infer<typeof alarmsSchema>;
type ScheduledTasksConfig = z.infer<typeof scheduledTasksSchema>;
type ScheduledJobsConfig = z.infer<typeof scheduledJobsSchema>;
type ScanGateConfig = NonNullable<z.infer<typeof gatesSchema>['scanFindings']>;

export { TARGET_KINDS, SCAN_SEVERITIES, deploymentsFileSchema, targetSchema, httpSmokeTestSchema, batchJobSmokeTestSchema };
export type {
  DeploymentsFile,
  TargetConfig,
  HttpSmokeTest,
  SmokeTest,
  BatchJobSmokeTest,
  InvokeSmokeTest,
  EcsTargetConfig,
  BatchTargetConfig,
  LambdaTargetConfig,
  CanaryStep,
  TargetKind,
  PromoteConfig,
  ApprovalConfig,
  ScanGateConfig,
  ReconcileConfig,
  PreDeployTaskConfig,
  ScheduledTasksConfig,
  ScheduledJobsConfig,
  AlarmsConfig,
};
