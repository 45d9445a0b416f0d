import { dispatchSteps } from '../shared/dispatch';
import { handler as checkRollback } from './lambda-check-rollback';
import { handler as checkUpdate } from './lambda-check-update';
import { handler as judgeRollback } from './lambda-judge-rollback';
import { handler as prepareFunction } from './lambda-prepare-function';
import { handler as publishVersion } from './lambda-publish-version';
import { handler as rollBack } from './lambda-roll-back';
import { handler as shiftTraffic } from './lambda-shift-traffic';
import { handler as updateFunctionCode } from './lambda-update-function-code';

/** Every step that reads or changes a Lambda function and its alias. */
export const handler = dispatchSteps('lambda-steps', { prepareFunction, updateFunctionCode, checkUpdate, publishVersion, shiftTraffic, rollBack, checkRollback, judgeRollback });
