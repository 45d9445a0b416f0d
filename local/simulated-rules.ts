import {
  EventBridgeClient,
  LimitExceededException,
  ListRuleNamesByTargetCommand,
  ListTargetsByRuleCommand,
  PutTargetsCommand,
  ResourceNotFoundException,
  type ListRuleNamesByTargetCommandInput,
  type ListTargetsByRuleCommandInput,
  type PutTargetsCommandInput,
  type Target,
} from '@aws-sdk/client-eventbridge';
import type { AwsClientStub } from 'aws-sdk-client-mock';

type Handle = <I, O>(service: string, command: string, run: (input: I) => O) => (input: I) => Promise<O>;

/** EventBridge allows at most 5 targets per rule (EventBridge user guide, quotas). */
const MAX_TARGETS_PER_RULE = 5;
/** Small pages, so that every caller must follow NextToken. */
const TARGETS_PAGE = 2;
const RULE_NAMES_PAGE = 3;

interface SimulatedRule {
  name: string;
  scheduleExpression: string;
  targets: Target[];
}

/**
 * EventBridge rules of the default event bus, as scheduled tasks use them: a rule with
 * targets (an ECS cluster with EcsParameters, a Batch job queue with BatchParameters).
 * ListTargetsByRule, ListRuleNamesByTarget and PutTargets, as the API reference describes
 * them: PutTargets replaces a target of the same Id whole, a missing rule is a
 * ResourceNotFoundException, and lists come in pages.
 */
class SimulatedRules {
  public readonly rules = new Map<string, SimulatedRule>();
  /** Every PutTargets, in order: the rule and the targets it carried. */
  public readonly puts: { rule: string; targets: Target[] }[] = [];

  public constructor(eventsMock: AwsClientStub<EventBridgeClient>, handle: Handle) {
    this.install(eventsMock, handle);
  }

  /** A rule on a schedule, with these targets. */
  public putRule(name: string, targets: Target[], scheduleExpression = 'cron(0 3 * * ? *)'): void {
    this.rules.set(name, { name, scheduleExpression, targets: structuredClone(targets) });
  }

  public deleteRule(name: string): void {
    this.rules.delete(name);
  }

  public target(rule: string, id: string): Target | undefined {
    return structuredClone(this.rules.get(rule)?.targets.find((target) => target.Id === id));
  }

  /** What each rule target runs (task definition or job definition), `rule/id` → reference: comparable between runs. */
  public pinned(): Record<string, string> {
    return Object.fromEntries(
      [...this.rules.values()].flatMap((rule) => rule.targets.map((target) => [`${rule.name}/${target.Id}`, target.EcsParameters?.TaskDefinitionArn ?? target.BatchParameters?.JobDefinition ?? target.Arn ?? ''])),
    );
  }

  private rule(name: string | undefined): SimulatedRule {
    const rule = this.rules.get(name ?? '');
    if (!rule) throw new ResourceNotFoundException({ message: `Rule ${name} does not exist on EventBus default.`, $metadata: { httpStatusCode: 400 } });
    return rule;
  }

  private install(eventsMock: AwsClientStub<EventBridgeClient>, handle: Handle): void {
    eventsMock.on(ListTargetsByRuleCommand).callsFake(
      handle('EventBridge', 'ListTargetsByRule', (input: ListTargetsByRuleCommandInput) => {
        const targets = this.rule(input.Rule).targets;
        const from = Number(input.NextToken ?? 0);
        const page = targets.slice(from, from + TARGETS_PAGE);
        return { Targets: structuredClone(page), ...(from + TARGETS_PAGE < targets.length ? { NextToken: String(from + TARGETS_PAGE) } : {}) };
      }),
    );

    eventsMock.on(ListRuleNamesByTargetCommand).callsFake(
      handle('EventBridge', 'ListRuleNamesByTarget', (input: ListRuleNamesByTargetCommandInput) => {
        const names = [...this.rules.values()].filter((rule) => rule.targets.some((target) => target.Arn === input.TargetArn)).map((rule) => rule.name);
        const from = Number(input.NextToken ?? 0);
        return { RuleNames: names.slice(from, from + RULE_NAMES_PAGE), ...(from + RULE_NAMES_PAGE < names.length ? { NextToken: String(from + RULE_NAMES_PAGE) } : {}) };
      }),
    );

    eventsMock.on(PutTargetsCommand).callsFake(
      handle('EventBridge', 'PutTargets', (input: PutTargetsCommandInput) => {
        const rule = this.rule(input.Rule);
        const incoming = structuredClone(input.Targets ?? []);
        const kept = rule.targets.filter((target) => !incoming.some((next) => next.Id === target.Id));
        if (kept.length + incoming.length > MAX_TARGETS_PER_RULE) {
          throw new LimitExceededException({ message: `The requested resource exceeds the maximum number allowed.`, $metadata: { httpStatusCode: 400 } });
        }
        // As EventBridge: a target with the same Id is replaced whole, in its place.
        rule.targets = [...rule.targets.map((target) => incoming.find((next) => next.Id === target.Id) ?? target), ...incoming.filter((next) => !rule.targets.some((target) => target.Id === next.Id))];
        this.puts.push({ rule: rule.name, targets: incoming });
        return { FailedEntryCount: 0, FailedEntries: [] };
      }),
    );
  }
}

export { SimulatedRules };
export type { SimulatedRule };
