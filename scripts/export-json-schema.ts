import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deploymentsJsonSchema } from '../functions/config/json-schema';

/** `npm run schema`: regenerates deployments.schema.json from the zod schema. */
const file = join(__dirname, '..', 'deployments.schema.json');
writeFileSync(file, `${JSON.stringify(deploymentsJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file}`);
