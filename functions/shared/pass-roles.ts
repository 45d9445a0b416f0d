/**
 * Whether a definition's role (an ARN, or a name as a definition may give it) is one
 * of the `passRoles` of deployments.yml, which name roles by path and name
 * (`service-role/my-role`): exactly what the deployer's IAM policy lets it pass.
 *
 * @example isPassableRole('arn:aws:iam::123456789012:role/service-role/jobs', ['service-role/jobs']) // true
 */
function isPassableRole(role: string, passRoles: readonly string[]): boolean {
  const marker = role.indexOf(':role/');
  const pathAndName = marker >= 0 ? role.slice(marker + ':role/'.length) : role;
  return passRoles.includes(pathAndName);
}

export { isPassableRole };
