import { parseSecretReference, secretIamResources } from '../../../functions/shared/secret-reference';

const sub = (resource: string) => ({ 'Fn::Sub': resource });

describe('parseSecretReference', () => {
  it('reads ssm:<name> as an SSM parameter and anything else as a Secrets Manager secret', () => {
    expect(parseSecretReference('ssm:/ecr-deployer/slack')).toEqual({ store: 'ssm', name: '/ecr-deployer/slack' });
    expect(parseSecretReference('ecr-deployer/slack')).toEqual({ store: 'secretsmanager', secretId: 'ecr-deployer/slack' });
  });
});

describe('secretIamResources', () => {
  it('grants a Secrets Manager name with the six-character suffix AWS appends', () => {
    expect(secretIamResources('ecr-deployer/slack-webhook')).toEqual([sub('arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:ecr-deployer/slack-webhook-??????')]);
  });

  it('grants an SSM parameter by its ARN, without the leading slash of its name', () => {
    expect(secretIamResources('ssm:/ecr-deployer/slack')).toEqual([sub('arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/ecr-deployer/slack')]);
    expect(secretIamResources('ssm:slack-webhook')).toEqual([sub('arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/slack-webhook')]);
  });
});
