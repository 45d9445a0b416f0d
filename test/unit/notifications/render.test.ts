import {
  describeRevisions,
  executionConsoleUrl,
  formatDuration,
  renderMessageForTerminal,
  renderSlackMessage,
  renderThreadReply,
  revisionLabel,
  type SlackBlock,
} from '../../../functions/notifications/render';
import { DEPLOYMENT_STATUSES } from '../../../functions/events/deployment-events';
import { EXECUTION_ARN, eventFor } from './support/events';

const textOf = (blocks: SlackBlock[]): string =>
  blocks
    .map((block) => {
      if (block.type === 'header') return block.text.text;
      if (block.type === 'context') return block.elements.map((element) => element.text).join(' ');
      return [block.text?.text ?? '', ...(block.fields ?? []).map((f) => f.text)].join('\n');
    })
    .join('\n');

describe('renderSlackMessage', () => {
  it.each(DEPLOYMENT_STATUSES)('renders a %s event as a header, a field grid, the reason if any and a link to the execution', (status) => {
    const message = renderSlackMessage(eventFor(status));

    expect(message).toMatchSnapshot();
    expect(message.blocks[0]).toMatchObject({ type: 'header' });
    expect(message.blocks[1]).toMatchObject({ type: 'section', fields: expect.any(Array) });
    expect(message.blocks.at(-1)).toMatchObject({ type: 'context' });
  });

  it('names target, environment, image tag with short digest, old → new revision, status and duration', () => {
    const message = renderSlackMessage(eventFor('SUCCEEDED'));

    expect(message.text).toBe('✅ Deployed stream-ml-service to prod — stream-ml-service:v1.4.0 (7f5b2640fe6f), stream-ml-service:7 → stream-ml-service:8, after 2m 36s');
    const fields = (message.blocks[1] as { fields: { text: string }[] }).fields.map((f) => f.text);
    expect(fields).toEqual([
      '*Target*\n`stream-ml-service` (ecs)',
      '*Environment*\nprod',
      '*Image*\n`stream-ml-service:v1.4.0` @ `7f5b2640fe6f`',
      '*Revision*\n`stream-ml-service:7 → stream-ml-service:8`',
      '*Status*\n✅ SUCCEEDED (the new image runs)',
      '*Duration*\n2m 36s',
    ]);
  });

  it('gives every status its own emoji in the header and the text fallback', () => {
    const emojis = DEPLOYMENT_STATUSES.map((status) => renderSlackMessage(eventFor(status)).text.split(' ')[0]);

    expect(new Set(emojis).size).toBe(DEPLOYMENT_STATUSES.length);
    for (const status of DEPLOYMENT_STATUSES) {
      const message = renderSlackMessage(eventFor(status));
      expect((message.blocks[0] as { text: { text: string } }).text.text.split(' ')[0]).toBe(message.text.split(' ')[0]);
    }
  });

  it('shows the failing phase and the reason of a failure, in the blocks and the text fallback', () => {
    const message = renderSlackMessage(eventFor('ROLLED_BACK'));

    expect(textOf(message.blocks)).toContain('*Failed in* `smoke-test`\n```SmokeTestFailed: GET http://lb.example/health → 500 (expected 200)');
    expect(message.text).toContain('failed in smoke-test: SmokeTestFailed: GET http://lb.example/health → 500');
    expect(message.text).toContain('back on stream-ml-service:7');
  });

  it('says what clean-up is left to do, with the command, below the reason and in the text fallback', () => {
    const cleanup = 'revision arn:aws:ecs:us-east-1:123456789012:task-definition/stream-ml-service:8 was registered and may still be ACTIVE, the family\'s latest: deregistering it failed (AccessDeniedException: not allowed). Deregister it by hand: aws ecs deregister-task-definition --task-definition arn:aws:ecs:us-east-1:123456789012:task-definition/stream-ml-service:8';
    const message = renderSlackMessage(eventFor('FAILED', { cleanup }));

    const texts = message.blocks.map((block) => (block.type === 'section' ? (block.text?.text ?? '') : ''));
    const reasonAt = texts.findIndex((text) => text.startsWith('*Failed in*'));
    const cleanupAt = texts.findIndex((text) => text.includes('*Clean-up left to do*'));
    expect(cleanupAt).toBeGreaterThan(reasonAt);
    expect(texts[cleanupAt]).toContain('aws ecs deregister-task-definition --task-definition arn:aws:ecs:us-east-1:123456789012:task-definition/stream-ml-service:8');
    expect(message.text).toContain('clean-up left to do: revision arn:aws:ecs');
    expect(textOf(renderThreadReply(eventFor('FAILED', { cleanup })).blocks)).toContain('*Clean-up left to do*');
    expect(textOf(renderSlackMessage(eventFor('FAILED')).blocks)).not.toContain('Clean-up');
  });

  it('links the Step Functions execution in the console of its region', () => {
    const message = renderSlackMessage(eventFor('FAILED'));

    expect(textOf(message.blocks)).toContain(
      `<https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${EXECUTION_ARN}|Step Functions execution>`,
    );
  });

  it('leaves the link out when the event has no execution ARN', () => {
    const message = renderSlackMessage(eventFor('FAILED', { executionArn: null }));

    expect(textOf(message.blocks)).not.toContain('Step Functions execution');
    expect(textOf(message.blocks)).toContain('deployment `stream-ml-service-7f5b2640fe6fb4f46592dfd3410c4a79`');
  });

  it('escapes mrkdwn control characters and keeps a reason from closing its code block', () => {
    const message = renderSlackMessage(eventFor('FAILED', { reason: 'InvalidInput: <script> & ```oops``` `x`' }));

    const reason = textOf(message.blocks);
    expect(reason).toContain("```InvalidInput: &lt;script&gt; &amp; '''oops''' `x````");
    expect(message.text).toContain('InvalidInput: <script> & ```oops``` `x`');
  });

  it('keeps every block within Slack limits, however long the reason', () => {
    const message = renderSlackMessage(eventFor('ROLLBACK_FAILED', { reason: 'x'.repeat(10_000), target: 't'.repeat(40), environment: 'e'.repeat(200) }));

    const header = message.blocks[0] as { text: { text: string } };
    expect(header.text.text.length).toBeLessThanOrEqual(150);
    for (const block of message.blocks) {
      if (block.type === 'section' && block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
      if (block.type === 'section' && block.fields) for (const f of block.fields) expect(f.text.length).toBeLessThanOrEqual(2000);
    }
    expect(message.text.length).toBeLessThanOrEqual(1000);
  });

  it('says who asked: a push, a person (by name), or a rollback of which deployment', () => {
    expect(textOf(renderSlackMessage(eventFor('STARTED', { trigger: { kind: 'ecr-push' } })).blocks)).toContain('*Trigger*\nECR push');
    expect(textOf(renderSlackMessage(eventFor('STARTED', { trigger: { kind: 'manual', requestedBy: 'arn:aws:iam::123456789012:user/ana' } })).blocks)).toContain(
      '*Trigger*\nby hand (arn:aws:iam::123456789012:user/ana)',
    );
    expect(textOf(renderSlackMessage(eventFor('SUCCEEDED', { trigger: { kind: 'manual' }, rollbackOf: 'ecs-prod-web-1a2b3c-g7' })).blocks)).toContain('*Trigger*\nrollback of ecs-prod-web-1a2b3c-g7');
  });

  it('shows a push skipped because a newer one came first: when it was pushed, and what superseded it', () => {
    const newer = `sha256:${'9'.repeat(64)}`;
    const message = renderSlackMessage(eventFor('SKIPPED', { supersededBy: newer, reason: 'superseded by sha256:999999999999 (v1.4.2) before it deployed', trigger: { kind: 'ecr-push' } }));

    expect(textOf(message.blocks)).toContain(`*Superseded by*\n\`${newer.slice(7, 19)}\``);
    expect(textOf(message.blocks)).toContain('*Pushed*\n2026-11-23 10:15:05 UTC');
    expect(message.text).toContain('superseded by sha256:999999999999 (v1.4.2) before it deployed');
    expect(message.text).not.toContain('after');
  });

  it('shows drift: what differs, since when, which deployment left what ran, and what to do', () => {
    const message = renderSlackMessage(eventFor('DRIFT_DETECTED'));
    const text = textOf(message.blocks);

    expect(message.blocks[0]).toMatchObject({ type: 'header', text: { text: '🧭 stream-ml-service on prod: changed outside ecr-deployer' } });
    expect(text).toContain('*Since*\n2026-11-24 08:00:00 UTC');
    expect(text).toContain('*What differs* (first seen 2026-11-24 08:00:00 UTC; left by `stream-ml-service-7f5b2640fe6fb4f46592dfd3410c4a79`)');
    expect(text).toContain('• service stream-ml-service-1 runs stream-ml-service:9, not stream-ml-service:8, which ecr-deployer left');
    expect(text).toContain('• container stream-ml-service: stream-ml-service@sha256:13131313131313… instead of stream-ml-service@sha256:7f5b2640fe6f…');
    expect(text).toContain('npx ecr-deployer deploy stream-ml-service --digest sha256:');
    expect(text).toContain('*Revision*\n`stream-ml-service:8 → stream-ml-service:9`');
    expect(text).not.toContain('*Reason*');
    expect(message.text).toContain('changed outside ecr-deployer');
  });

  it('lists the scheduled tasks that followed, and by name those that could not', () => {
    const message = renderSlackMessage(
      eventFor('SUCCEEDED', {
        scheduledTasks: {
          repointed: [{ rule: 'stream-ml-nightly-retrain', targetId: 'retrain', from: 'stream-ml-service:8', to: 'stream-ml-service:9' }],
          failed: [{ rule: 'stream-ml-retired', error: 'ScheduledTaskRuleNotFound', message: 'rule stream-ml-retired does not exist on the default event bus: remove it from deployments.yml, or create it again' }],
        },
      }),
    );
    const text = textOf(message.blocks);

    expect(text).toContain('*Scheduled tasks*\n• `stream-ml-nightly-retrain/retrain` → `stream-ml-service:9` (was `stream-ml-service:8`)\n• :warning: `ScheduledTaskRuleNotFound` rule stream-ml-retired does not exist');
    expect(textOf(renderSlackMessage(eventFor('SUCCEEDED')).blocks)).not.toContain('Scheduled tasks');
  });

  it('reports alarms already in ALARM before the deployment, as not blamed on the new image', () => {
    const message = renderSlackMessage(eventFor('SUCCEEDED', { alarms: { alreadyInAlarm: [{ name: 'stream-ml-p99-latency', reason: 'Threshold Crossed: 3 datapoints were greater than 2.0', since: '2026-11-24T07:00:00.000Z' }] } }));

    expect(textOf(message.blocks)).toContain('*Already in ALARM before this deployment* (not blamed on the new image)\n• `stream-ml-p99-latency` (since 2026-11-24 07:00:00 UTC): Threshold Crossed: 3 datapoints were greater than 2.0');
  });

  it('says a rollback was fast: no canary, no bake', () => {
    const undoing = renderSlackMessage(eventFor('SUCCEEDED', { rollbackOf: 'ml-inference-v2', fastRollback: 'rollback' }));
    const window = renderSlackMessage(eventFor('SUCCEEDED', { fastRollback: 'window' }));

    expect(textOf(undoing.blocks)).toContain('*Trigger*\nfast rollback of ml-inference-v2: no canary, no bake');
    expect(textOf(window.blocks)).toContain('*Trigger*\nfast rollback to a recent image (rollbackWindow): no canary, no bake');
  });

  it('shows an image pushed without a tag by repository and digest', () => {
    const message = renderSlackMessage(eventFor('STARTED', { image: { repository: 'web', digest: `sha256:${'a'.repeat(64)}`, uri: 'r/web@sha256:…' } }));

    expect(message.text).toContain('web@aaaaaaaaaaaa');
  });
});

describe('renderThreadReply', () => {
  it('says the status, the revisions and the duration on one line, and the reason below', () => {
    const reply = renderThreadReply(eventFor('ROLLING_BACK'));

    expect(reply.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '⏪ *ROLLING_BACK* · `stream-ml-service:8 → stream-ml-service:7` · after 2m 16s' } });
    expect(textOf(reply.blocks)).toContain('*Failed in* `smoke-test`');
    expect(reply.text).toMatch(/^⏪ /);
  });
});

describe('revisionLabel', () => {
  it.each([
    ['arn:aws:ecs:us-east-1:123456789012:task-definition/web:8', 'web:8'],
    ['arn:aws:batch:us-east-1:123456789012:job-definition/splitter:3', 'splitter:3'],
    ['arn:aws:lambda:us-east-1:123456789012:function:ml-inference:7', 'ml-inference:7'],
    ['something-else', 'something-else'],
  ])('labels %s as %s', (arn, label) => {
    expect(revisionLabel(arn)).toBe(label);
  });
});

describe('describeRevisions', () => {
  const td = (n: number) => `arn:aws:ecs:us-east-1:1:task-definition/web:${n}`;

  it.each([
    ['SUCCEEDED', td(7), td(8), 'web:7 → web:8'],
    ['ROLLING_BACK', td(7), td(8), 'web:8 → web:7'],
    ['ROLLED_BACK', td(7), td(7), 'back on web:7'],
    ['FAILED', td(7), td(7), 'stays on web:7'],
    ['ROLLBACK_FAILED', td(7), null, 'was web:7, now unknown'],
    ['STARTED', null, null, undefined],
  ] as const)('describes %s from %s to %s as %s', (status, previous, current, expected) => {
    expect(describeRevisions({ status, previous, current })).toBe(expected);
  });
});

describe('formatDuration', () => {
  it.each([
    [117, '117 ms'],
    [45_000, '45s'],
    [156_000, '2m 36s'],
    [3_725_000, '1h 02m'],
    [-5, '0 ms'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('executionConsoleUrl', () => {
  it('builds the console URL from the region in the ARN', () => {
    const arn = 'arn:aws:states:eu-west-1:123456789012:execution:deploy:web-1';

    expect(executionConsoleUrl(arn)).toBe(`https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${arn}`);
  });

  it('uses the console of the China partition for an aws-cn ARN', () => {
    expect(executionConsoleUrl('arn:aws-cn:states:cn-north-1:1:execution:deploy:x')).toMatch(/^https:\/\/console\.amazonaws\.cn\/states\/home\?region=cn-north-1#/);
  });

  it('returns undefined for an ARN that is not an execution', () => {
    expect(executionConsoleUrl('arn:aws:states:us-east-1:1:stateMachine:deploy')).toBeUndefined();
  });
});

describe('renderMessageForTerminal', () => {
  it('prints the text fallback, then the blocks as indented plain lines', () => {
    const lines = renderMessageForTerminal(renderSlackMessage(eventFor('ROLLED_BACK')));

    expect(lines[0]).toBe(`  Slack: ${renderSlackMessage(eventFor('ROLLED_BACK')).text}`);
    expect(lines.slice(1)).toEqual([
      '     │ Target stream-ml-service (ecs) · Environment prod · Image stream-ml-service:v1.4.0 @ 7f5b2640fe6f · Revision back on stream-ml-service:7 · Status ↩️ ROLLED BACK (failed, then restored) · Duration 3m 57s',
      '     │ Failed in smoke-test: SmokeTestFailed: GET http://lb.example/health → 500 (expected 200): {"status":"error"} (after 5 attempts)',
      `     │ Step Functions execution <https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${EXECUTION_ARN}> · deployment stream-ml-service-7f5b2640fe6fb4f46592dfd3410c4a79 · 2026-11-23 10:19:02 UTC`,
    ]);
  });

  it('prints the header when the text fallback does not start with it', () => {
    const message = renderSlackMessage(eventFor('STARTED'));

    const lines = renderMessageForTerminal({ ...message, text: 'plain' });

    expect(lines.slice(0, 2)).toEqual(['  Slack: plain', '     │ 🚀 Deploying stream-ml-service to prod']);
  });
});
