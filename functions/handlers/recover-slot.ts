import * as z from 'zod/mini';
import '../shared/validation-messages';
import { describeIssues } from '../config/issues';
import { readStoppedExecution, stoppedDeploymentEvents } from '../deployment/stopped';
import { publishDeploymentEvents } from '../events/deployment-events';
import { recordStoppedInLedger } from '../ledger/record';
import { MalformedEvent } from '../shared/errors';
import { logger, withLambdaContext } from '../shared/logger';
import { withTransientErrorsNamed } from '../shared/aws-errors';
import { recoverSlot, type SlotRelease } from '../slots/coordinator';
import { slotOfExecution } from '../slots/of-execution';

/** The part of a "Step Functions Execution Status Change" event this needs. */
const statusChangeSchema = z.looseObject({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.looseObject({
    executionArn: z.string().check(z.minLength(1)),
    stateMachineArn: z.string().check(z.minLength(1)),
    name: z.string().check(z.minLength(1)),
    status: z.enum(['ABORTED', 'TIMED_OUT', 'FAILED']),
    input: z.optional(z.nullable(z.string())),
  }),
});

function parseJson(text: string | null | undefined): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * EventBridge rule on the deploy state machine's executions that end ABORTED,
 * TIMED_OUT or FAILED: if the execution still holds its slot (stopped by hand,
 * timed out, or its release step failed), the slot is released and what waits
 * goes on. A stopped or timed-out deployment never reached a publish state: its
 * last event is published here, from what its history shows it got to.
 */
export const handler = withLambdaContext(async (event: unknown): Promise<SlotRelease> => {
  const parsed = statusChangeSchema.safeParse(event);
  if (!parsed.success) throw new MalformedEvent(`not a "Step Functions Execution Status Change" event:\n${describeIssues(parsed.error)}`);
  const { detail } = parsed.data;
  const slot = slotOfExecution(parseJson(detail.input));
  let recovered: SlotRelease = { released: false };
  if (slot) recovered = await withTransientErrorsNamed('RecoverSlot', () => recoverSlot(slot, detail.name, detail.status, detail.stateMachineArn));
  // Input too large to be in the event, or it named no slot: the lease expiry (sweep) is the backstop.
  else logger.info('execution ended; no slot to recover from its input', { execution: detail.name, status: detail.status });
  if (detail.status !== 'FAILED') {
    const stopped = await withTransientErrorsNamed('RecoverSlot', () => readStoppedExecution(detail.executionArn));
    const events = stoppedDeploymentEvents(stopped, detail.status);
    await withTransientErrorsNamed('RecoverSlot', () => publishDeploymentEvents(events));
    const { state } = stopped;
    if (state && events.length) await withTransientErrorsNamed('RecoverSlot', () => recordStoppedInLedger(state, events));
    if (events.length) logger.warn('published the last event of a stopped deployment', { execution: detail.name, status: events[0]?.status, lastState: stopped.lastState });
  }
  return recovered;
});
