import type { SimulatedAwsAccount } from '../../local/simulated-account';
import { describeFaultMatrix, requestsByHand } from '../support/fault-matrix';
import { digest, executionInput, ML_INFERENCE, mlInferenceTarget, runDeployment, type TargetSpec } from '../support/world';

/** The fault matrix for a container-image Lambda function (ml-inference), with and without an alias: every Task state it may enter × every fault. */

const NEW_DIGEST = digest('ml-inference-9a8b7c6');

const withCanary = () => mlInferenceTarget({}, { canary: { steps: [{ weightPercent: 10, bakeSeconds: 300 }] } });
const withoutAlias = () => mlInferenceTarget({ smokeTests: [{ invoke: { payload: {}, attempts: 2 } }] }, { alias: undefined });

const push = (account: SimulatedAwsAccount, target: TargetSpec) => runDeployment(executionInput(account, target, NEW_DIGEST, '9a8b7c6'));


describeFaultMatrix({
  kind: 'lambda',
  title: 'Lambda function',
  slot: `lambda:${ML_INFERENCE.function}`,
  snapshot: (account) => {
    const fn = account.lambda.function(ML_INFERENCE.function);
    return { image: fn.imageUri, lastUpdateStatus: fn.lastUpdateStatus, versions: [...fn.versions.keys()], alias: fn.aliases.get(ML_INFERENCE.alias) ?? null };
  },
  scenarios: [
    { name: 'a canary step, then all traffic', run: (account) => push(account, withCanary()) },
    {
      name: 'the canary check fails and the alias goes back',
      run: (account) => {
        account.setImageBehaviour(NEW_DIGEST, 'errors-on-invoke');
        return push(account, withCanary());
      },
    },
    {
      name: 'without an alias, the smoke test fails and the previous image goes back',
      run: (account) => {
        account.setImageBehaviour(NEW_DIGEST, 'errors-on-invoke');
        return push(account, withoutAlias());
      },
    },
    {
      name: 'without an alias, the update fails: nothing to undo',
      run: (account) => {
        account.setImageBehaviour(NEW_DIGEST, 'crashes');
        return push(account, withoutAlias());
      },
    },
    {
      name: 'without an alias, putting the previous image back is refused',
      run: (account) => {
        account.setImageBehaviour(NEW_DIGEST, 'errors-on-invoke');
        // The deployment's own update goes through; the rollback's is refused.
        account.beforeNext('Invoke', () => account.failNext('UpdateFunctionCode', 1000, 'AccessDeniedException'));
        return push(account, withoutAlias());
      },
    },
    {
      name: 'someone else updates the function first',
      run: (account) => {
        account.beforeNext('UpdateFunctionCode', () => {
          account.lambda.function(ML_INFERENCE.function).revision += 1;
        });
        return push(account, withCanary());
      },
    },
    ...requestsByHand({ target: withCanary, digest: NEW_DIGEST, tag: '9a8b7c6' }),
  ],
});
