import fc from 'fast-check';
import { seedSampleImages } from '../../local/sample-images';
import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { allItems } from '../support/dynamodb';
import { canvasServiceTarget, createTestWorld, mlInferenceTarget, orchestratorTarget, splitterTarget, startExecution, streamMlTarget, useDeploymentsFile } from '../support/world';

/**
 * Generated execution inputs, started as a person with `states:StartExecution` would start
 * them, through the real state machine and handlers against the simulated account. An input
 * may select (a target by name; a tag or digest of its repository; a rollback) but never
 * define: every input below carries a definition, a forged claim, or an image the target's
 * repository does not hold, and none of them may change anything. No write reaches ECS,
 * Batch, Lambda or Step Functions, and the slot table stays as it was.
 */

const TARGETS = ['stream-ml-service', 'canvas-service', 'orchestrator', 'splitter', 'ml-inference'];
const SLOTS = ['ecs:emotional-parrot/stream-ml-service-1', 'ecs:short-drama-cluster/short-drama-backend', 'batch:upscaler-splitter-job-dev', 'lambda:ml-inference-function'];
/** What defines rather than selects: settings, registries, images, tests. */
const DEFINING_KEYS = ['registry', 'image', 'uri', 'repository', 'smokeTests', 'ecs', 'batch', 'lambda', 'cluster', 'service', 'function', 'settings', 'deployment', 'changes', 'rollout', 'environment', 'containers', 'passRoles', 'url', 'headers', 'notifications', 'tags'];

const target = fc.constantFrom(...TARGETS);
const digest = fc.stringMatching(/^[a-f0-9]{64}$/).map((hex) => `sha256:${hex}`);
const anyJson = fc.jsonValue({ maxDepth: 3 });
const selection = fc.oneof(
  fc.record({ target, tag: fc.constantFrom('v1.4.0', 'v2.1.0', 'latest') }),
  fc.record({ target, rollback: fc.constant(true) }),
);
const definition = fc.record({
  name: target,
  repository: fc.constantFrom('stream-ml-service', 'attacker/repo'),
  ecs: fc.record({ cluster: fc.constant('emotional-parrot'), service: fc.constant('stream-ml-service-1') }),
  smokeTests: fc.constant([]),
});

type Generated = { why: string; input: unknown };

const definingInputs: fc.Arbitrary<Generated> = fc.oneof(
  // A selection with a definition beside it.
  fc.tuple(selection, fc.dictionary(fc.constantFrom(...DEFINING_KEYS), anyJson, { minKeys: 1, maxKeys: 3 })).map(([select, extra]) => ({ why: 'a selection with settings beside it', input: { ...select, ...extra } })),
  // The target itself defined inline.
  fc.tuple(definition, fc.constantFrom('v1.4.0', 'latest')).map(([spec, tag]) => ({ why: 'a target defined inline', input: { target: spec, tag } })),
  // A registry or a whole image reference instead of a tag or digest.
  fc.tuple(target, fc.constantFrom('evil.example.com', '999999999999.dkr.ecr.us-east-1.amazonaws.com', 'docker.io'), digest).map(([name, registry, d]) => ({ why: 'an image from another registry', input: { target: name, image: { registry, repository: 'x', digest: d } } })),
  // A trigger that carries more than who and which events.
  fc.tuple(selection, fc.dictionary(fc.constantFrom('registry', 'target', 'smokeTests', 'kind2'), anyJson, { minKeys: 1, maxKeys: 2 })).map(([select, extra]) => ({ why: 'a trigger with settings', input: { ...select, trigger: { kind: 'manual', ...extra } } })),
  // The slot form, with settings in an image.
  fc.tuple(fc.constantFrom(...SLOTS), target, digest, fc.constantFrom('registry', 'uri', 'repository', 'smokeTests', 'target'), anyJson).map(([slot, name, d, key, value]) => ({
    why: 'a slot input with settings in an image',
    input: { slot, generation: 1, images: { [name]: { digest: d, pushedAt: '2026-12-01T00:00:00Z', [key]: value } }, trigger: { kind: 'ecr-push' } },
  })),
  // The slot form, forged: no claim of the coordinator behind it.
  fc.tuple(fc.constantFrom(...SLOTS), target, digest, fc.integer({ min: 1, max: 1000 })).map(([slot, name, d, generation]) => ({
    why: 'a forged slot input',
    input: { slot, generation, images: { [name]: { digest: d, pushedAt: '2026-12-01T00:00:00Z' } }, trigger: { kind: 'ecr-push' } },
  })),
  // A target deployments.yml does not have.
  fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/).filter((name) => !TARGETS.includes(name)), fc.constantFrom('v1.4.0', 'latest')).map(([name, tag]) => ({ why: 'an unknown target', input: { target: name, tag } })),
  // An image the target's repository does not hold.
  fc.tuple(target, digest).map(([name, d]) => ({ why: 'a digest not in ECR', input: { target: name, digest: d } })),
  fc.tuple(target, fc.stringMatching(/^v9[0-9]{2}\.[0-9]$/)).map(([name, tag]) => ({ why: 'a tag not in ECR', input: { target: name, tag } })),
  // Anything at all.
  anyJson.map((input) => ({ why: 'any JSON', input })),
);

/** Calls that change something: everything but reads, the rejection's own event, and the start of the execution itself. */
function writesIn(calls: string[]): string[] {
  return calls.filter((call) => !/\.(Describe|List|Get|BatchGet)[A-Za-z]*$/.test(call) && call !== 'EventBridge.PutEvents' && call !== 'StepFunctions.StartExecution');
}

let account: SimulatedAwsAccount;

beforeAll(async () => {
  useDeploymentsFile([streamMlTarget(), canvasServiceTarget(), orchestratorTarget(), splitterTarget(), mlInferenceTarget()]);
  account = await createTestWorld();
  seedSampleImages(account);
});

afterAll(() => account.restore());

describe('execution inputs that define rather than select', () => {
  it('change nothing, for 1,000 generated inputs through the real state machine', async () => {
    const slotsBefore = await allItems(process.env.SLOTS_TABLE ?? '');
    const kinds = new Map<string, number>();
    let starts = 0;
    await fc.assert(
      fc.asyncProperty(definingInputs, async ({ why, input }) => {
        const callsBefore = account.calls.length;
        const result = await startExecution(account, input);
        starts += 1;
        const calls = account.calls.slice(callsBefore);
        expect(result.status).toBe('FAILED');
        expect(writesIn(calls)).toEqual([]);
        expect(calls.filter((call) => call === 'StepFunctions.StartExecution')).toHaveLength(1);
        kinds.set(why, (kinds.get(why) ?? 0) + 1);
      }),
      { numRuns: 1000 },
    );

    expect(starts).toBe(1000);
    expect(await allItems(process.env.SLOTS_TABLE ?? '')).toEqual(slotsBefore);
    expect(account.events.map((event) => event.status).filter((status) => status !== 'FAILED')).toEqual([]);
    expect(kinds.size).toBe(10);
  }, 90_000); // 1,000 executions: about 13 s alone, more beside the other suites on two cores
});
