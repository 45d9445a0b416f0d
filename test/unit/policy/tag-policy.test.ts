import { notAnUpgrade, tagPolicyOf, versionOfTag, type TagPolicy } from '../../../functions/policy/tag-policy';

/** tagPolicy: semver, as the slot model applies it to each push (pure). */

type Semver = Extract<TagPolicy, { kind: 'semver' }>;
const policy = (allow: Semver['allow'], prerelease: Semver['prerelease'] = false): Semver => ({ kind: 'semver', allow, prerelease });
const runs = { version: '1.5.0', tag: 'v1.5.0' };

/** The verdict on a push of `tag` when the target runs v1.5.0: `deploys`, or the reason it does not. */
function verdict(p: Semver, tag: string): string {
  const named = versionOfTag(p, tag);
  if ('refused' in named) return named.refused;
  return notAnUpgrade(p, named.version, runs) ?? 'deploys';
}

describe('tagPolicy: semver', () => {
  it.each([
    // tag, allow: major, minor, patch
    ['v1.4.9', 'not newer by semver (runs v1.5.0)', 'not newer by semver (runs v1.5.0)', 'not newer by semver (runs v1.5.0)'],
    ['v1.5.0', 'not newer by semver (runs v1.5.0)', 'not newer by semver (runs v1.5.0)', 'not newer by semver (runs v1.5.0)'],
    ['1.5.0', 'not newer by semver (runs v1.5.0)', 'not newer by semver (runs v1.5.0)', 'not newer by semver (runs v1.5.0)'],
    ['v1.5.1', 'deploys', 'deploys', 'deploys'],
    ['v1.6.0', 'deploys', 'deploys', 'more than a patch upgrade from v1.5.0 (tagPolicy semver.allow: patch)'],
    ['v2.0.0', 'deploys', 'a major upgrade from v1.5.0; the target takes minor and patch upgrades only (tagPolicy semver.allow: minor)', 'more than a patch upgrade from v1.5.0 (tagPolicy semver.allow: patch)'],
    ['v1.6.0-rc.1', 'v1.6.0-rc.1 is a prerelease, and the target takes none (tagPolicy semver.prerelease: false)', 'v1.6.0-rc.1 is a prerelease, and the target takes none (tagPolicy semver.prerelease: false)', 'v1.6.0-rc.1 is a prerelease, and the target takes none (tagPolicy semver.prerelease: false)'],
    ['main-4f2a9c1', '"main-4f2a9c1" is not a semver version (tagPolicy: semver)', '"main-4f2a9c1" is not a semver version (tagPolicy: semver)', '"main-4f2a9c1" is not a semver version (tagPolicy: semver)'],
    ['latest', '"latest" is not a semver version (tagPolicy: semver)', '"latest" is not a semver version (tagPolicy: semver)', '"latest" is not a semver version (tagPolicy: semver)'],
  ])('a push of %s, with v1.5.0 running: allow major → %s; minor → %s; patch → %s', (tag, major, minor, patch) => {
    expect([verdict(policy('major'), tag), verdict(policy('minor'), tag), verdict(policy('patch'), tag)]).toEqual([major, minor, patch]);
  });

  it('takes prereleases when allowed, all or by label, and orders them below their release', () => {
    expect(verdict(policy('major', true), 'v1.6.0-rc.1')).toBe('deploys');
    expect(verdict(policy('major', ['rc']), 'v1.6.0-rc.1')).toBe('deploys');
    expect(verdict(policy('major', ['rc']), 'v1.6.0-beta.2')).toBe('v1.6.0-beta.2 is a "beta" prerelease; the target takes "rc" only (tagPolicy semver.prerelease)');
    expect(notAnUpgrade(policy('major', true), '1.5.0-rc.1', runs)).toBe('not newer by semver (runs v1.5.0)');
  });

  it('reads the policy from deployments.yml: glob by default, semver alone meaning any upgrade and no prerelease', () => {
    expect(tagPolicyOf({ tagPolicy: 'glob' })).toEqual({ kind: 'glob' });
    expect(tagPolicyOf({ tagPolicy: 'semver' })).toEqual({ kind: 'semver', allow: 'major', prerelease: false });
    expect(tagPolicyOf({ tagPolicy: { semver: { allow: 'minor', prerelease: ['rc'] } } })).toEqual({ kind: 'semver', allow: 'minor', prerelease: ['rc'] });
  });
});
