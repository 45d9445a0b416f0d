/** The kinds of target, each a key of a target and a branch of the state machine. */
const TARGET_KINDS = ['ecs', 'batch', 'lambda'] as const;

type TargetKind = (typeof TARGET_KINDS)[number];

export { TARGET_KINDS };
export type { TargetKind };
