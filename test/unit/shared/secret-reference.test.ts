import { parseSecretReference, secretIamResources } from '../../../functions/shared/secret-reference';

const sub = (resource: string) => ({ 'Fn::Sub': resource });

describe('parseSecretReference', () => {
  it('reads ssm:<name> as an SSM parameter and anything else as a Secrets Manager secret', () => {
    expect(parseSecretReference('ssm:/ecr-deployer/slack')).toEqual({ store: 'ssm', name: '/ecr-deployer/slack' });
    expect(parseSecretReference('ecr-deployer/slack')).toEqual({ store: 'secretsmanager', secretId: 'ecr-deployer/slack' });
    expect(parseSecretReference('arn:aws:secretsmanager:us-east-1:1:secret:x-AbCdEf')).toEqual({ store: 'secretsmanager', secretId: 'arn:aws:secretsmanager:us-east-1:1:secret:x-AbCdEf' });
  });
});

describe('secretIamResources', () => {
  it('grants a Secrets Manager name with the six-character suffix AWS appends', () => {
    expect(secretIamResources('ecr-deployer/slack-webhook')).toEqual([sub('arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:ecr-deployer/slack-webhook-??????')]);
  });

  it('grants a Secrets Manager ARN as given and with the suffix (complete and partial ARNs)', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack';

    expect(secretIamResources(arn)).toEqual([arn, `${arn}-??????`]);
  });

  it('grants an SSM parameter by its ARN, without the leading slash of its name', () => {
    expect(secretIamResources('ssm:/ecr-deployer/slack')).toEqual([sub('arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/ecr-deployer/slack')]);
    expect(secretIamResources('ssm:slack-webhook')).toEqual([sub('arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/slack-webhook')]);
  });

  it('grants an SSM parameter ARN as given', () => {
    const arn = 'arn:aws:ssm:us-east-1:123456789012:parameter/shared/slack';

    expect(secretIamResources(`ssm:${arn}`)).toEqual([arn]);
  });
});
