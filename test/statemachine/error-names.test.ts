import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import * as errorClasses from '../../functions/shared/errors';
import {
  CATCH_ALL,
  DEPLOYMENT_FAILURES,
  PLATFORM_ERRORS,
  REJECTED_ERRORS,
  RETRIED_ERRORS,
  SLOT_ERRORS,
  TRANSIENT_ERRORS,
  TRIGGER_ERRORS,
} from '../../functions/shared/error-names';
import { deployDefinition } from '../../statemachines/definition';

/**
 * functions/shared/error-names.ts against the deployed state machine and the
 * error classes, both ways: the ASL matches no name that nothing raises, and
 * every name a step throws is handled on purpose, by name or by States.ALL.
 */

type Matcher = { ErrorEquals: string[]; Next?: string };
type State = { Type: string; Retry?: Matcher[]; Catch?: Matcher[] };

const states = Object.entries(deployDefinition().States as Record<string, State>);
const tasks = states.filter(([, state]) => state.Type === 'Task');
const matchedNames = new Set(states.flatMap(([, state]) => [...(state.Retry ?? []), ...(state.Catch ?? [])].flatMap((m) => m.ErrorEquals)));

/** The names every error class exported by errors.ts gives its errors (the abstract base aside). */
const thrownNames = Object.entries(errorClasses)
  .filter(([className]) => className !== 'DeploymentError')
  .map(([, ErrorClass]) => new ErrorClass('probe').name);

const namesByName = [...REJECTED_ERRORS, ...SLOT_ERRORS, ...TRANSIENT_ERRORS];

describe('error names', () => {
  it('the state machine matches no name that neither our steps nor Lambda and Step Functions raise', () => {
    expect([...matchedNames].filter((name) => name !== CATCH_ALL && !(namesByName as readonly string[]).includes(name))).toEqual([]);
  });

  it('every name listed for matching by name is matched by the state machine', () => {
    expect(namesByName.filter((name) => !matchedNames.has(name))).toEqual([]);
  });

  it('every error class has a name listed in exactly one group, and every listed name of ours has a class', () => {
    const ours = [...REJECTED_ERRORS, ...SLOT_ERRORS, ...RETRIED_ERRORS, ...DEPLOYMENT_FAILURES, ...TRIGGER_ERRORS];
    expect([...thrownNames].sort()).toEqual([...ours].sort());
    expect(new Set(ours).size).toBe(ours.length);
  });

  it('deployment failures are matched by no name: each Task state takes them with its States.ALL catcher', () => {
    expect(DEPLOYMENT_FAILURES.filter((name) => matchedNames.has(name))).toEqual([]);
    expect(TRIGGER_ERRORS.filter((name) => matchedNames.has(name))).toEqual([]);
    for (const [name, state] of tasks) {
      expect({ name, catchAll: state.Catch?.at(-1)?.ErrorEquals }).toEqual({ name, catchAll: [CATCH_ALL] });
    }
  });

  it('every Task state retries every transient name, and only transient names', () => {
    for (const [name, state] of tasks) {
      const retried = new Set((state.Retry ?? []).flatMap((r) => r.ErrorEquals));
      expect({ name, missing: TRANSIENT_ERRORS.filter((e) => !retried.has(e)) }).toEqual({ name, missing: [] });
      expect({ name, extra: [...retried].filter((e) => !(TRANSIENT_ERRORS as readonly string[]).includes(e)) }).toEqual({ name, extra: [] });
    }
  });

  it('rejections lead to PublishRejected from ResolveDeployment; slot errors are caught by HoldSlot', () => {
    const catchOf = (stateName: string, error: string) => Object.fromEntries(states)[stateName]?.Catch?.find((c) => c.ErrorEquals.includes(error))?.Next;
    for (const name of REJECTED_ERRORS) expect({ name, next: catchOf('ResolveDeployment', name) }).toEqual({ name, next: 'PublishRejected' });
    expect(catchOf('HoldSlot', 'SlotBusy')).toBe('PublishRejected');
    expect(catchOf('HoldSlot', 'SlotLost')).toBe('ReleaseAfterRejected');
  });

  it("the ASL's x-errors anchors are the module's lists", () => {
    const source = parse(readFileSync(join(__dirname, '..', '..', 'statemachines', 'deploy.asl.yaml'), 'utf8'), { maxAliasCount: -1 }) as { 'x-errors': Record<string, string[]> };

    expect(source['x-errors']).toEqual({ rejected: [...REJECTED_ERRORS], transient: [...TRANSIENT_ERRORS] });
    expect(PLATFORM_ERRORS.every((name) => name.startsWith('Lambda.') || name.startsWith('States.') || name.startsWith('Sandbox.'))).toBe(true);
  });
});
