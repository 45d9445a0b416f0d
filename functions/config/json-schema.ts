import { z } from 'zod';
import { deploymentsFileSchema } from './schema';

/** The JSON Schema editors use to check deployments.yml (what a person may write: defaults optional). */
function deploymentsJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(deploymentsFileSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'ecr-deployer deployments.yml',
  };
}

export { deploymentsJsonSchema };
