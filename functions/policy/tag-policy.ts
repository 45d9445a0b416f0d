import compare from 'semver/functions/compare';
import parse from 'semver/functions/parse';
import type { TargetConfig } from '../config/schema';

/**
 * Which pushes of a target deploy by themselves, beyond its tag globs (README,
 * "Release policies"): `glob` (push time decides what is newer), or `semver`
 * (the version in the tag decides, within `allow`, prereleases only if allowed).
 * Pure; a person's deployment by hand is not held to it.
 */

type TagPolicy = { kind: 'glob' } | { kind: 'semver'; allow: 'major' | 'minor' | 'patch'; prerelease: boolean | string[] };

function tagPolicyOf(target: Pick<TargetConfig, 'tagPolicy'>): TagPolicy {
  const policy = target.tagPolicy;
  if (policy === 'glob') return { kind: 'glob' };
  if (policy === 'semver') return { kind: 'semver', allow: 'major', prerelease: false };
  return { kind: 'semver', allow: policy.semver.allow, prerelease: policy.semver.prerelease };
}

/** The version a tag names under a semver policy (`v1.4.0` → `1.4.0`), or why the push does not qualify. */
function versionOfTag(policy: Extract<TagPolicy, { kind: 'semver' }>, tag: string): { version: string } | { refused: string } {
  const parsed = parse(tag);
  if (!parsed) return { refused: `"${tag}" is not a semver version (tagPolicy: semver)` };
  const [label] = parsed.prerelease;
  if (label !== undefined) {
    if (policy.prerelease === false) return { refused: `${tag} is a prerelease, and the target takes none (tagPolicy semver.prerelease: false)` };
    if (Array.isArray(policy.prerelease) && !policy.prerelease.includes(String(label))) {
      return { refused: `${tag} is a "${String(label)}" prerelease; the target takes ${policy.prerelease.map((p) => `"${p}"`).join(', ')} only (tagPolicy semver.prerelease)` };
    }
  }
  return { version: parsed.version };
}

/** Why `candidate` is not an upgrade of `current` under the policy, or undefined when it is. */
function notAnUpgrade(policy: Extract<TagPolicy, { kind: 'semver' }>, candidate: string, current: { version: string; tag?: string }): string | undefined {
  const runs = current.tag ?? current.version;
  if (compare(candidate, current.version) <= 0) return `not newer by semver (runs ${runs})`;
  const next = parse(candidate);
  const now = parse(current.version);
  if (!next || !now) return `not comparable with ${runs}`;
  if (policy.allow === 'minor' && next.major !== now.major) return `a major upgrade from ${runs}; the target takes minor and patch upgrades only (tagPolicy semver.allow: minor)`;
  if (policy.allow === 'patch' && (next.major !== now.major || next.minor !== now.minor)) return `more than a patch upgrade from ${runs} (tagPolicy semver.allow: patch)`;
  return undefined;
}

/** The higher of two versions (semver order). */
function higherVersion(a: string, b: string): string {
  return compare(a, b) >= 0 ? a : b;
}

export { tagPolicyOf, versionOfTag, notAnUpgrade, higherVersion };
export type { TagPolicy };
