/**
 * Secret references are shared by the notifier and the smoke tests
 * (functions/shared/secret-reference.ts); the packaging script reads them from here.
 */
export { parseSecretReference, secretIamResources } from '../shared/secret-reference';
export type { SecretReference, IamResource } from '../shared/secret-reference';
