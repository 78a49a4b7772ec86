/**
 * `npm run openapi`: write the OpenAPI 3.1 document generated from the zod schemas
 * (lambda/http/openapi.ts) to `openapi.json`. test/unit/openapi.test.ts fails while the
 * checked-in file differs from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openApiJson } from '../lambda/http/openapi';

const path = resolve(import.meta.dirname, '..', 'openapi.json');
writeFileSync(path, openApiJson());
console.log(`Wrote ${path}`);
