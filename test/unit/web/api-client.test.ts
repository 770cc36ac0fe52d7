import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import { writeOpenApi } from '../../../api/src/cli/openapi';

const WEB_API = join(__dirname, '..', '..', '..', 'web', 'src', 'api');

describe('the generated web API client', () => {
  it('matches the OpenAPI document the server serves (run `npm run gen:client` when this fails)', async () => {
    const doc = await writeOpenApi();
    expect(readFileSync(join(WEB_API, 'openapi.json'), 'utf8'), 'web/src/api/openapi.json is stale').toBe(doc);
    const ts = astToString(await openapiTS(JSON.parse(doc)));
    const committed = readFileSync(join(WEB_API, 'schema.d.ts'), 'utf8');
    expect(committed.replace(/^\/\*\*[\s\S]*?\*\/\s*/, ''), 'web/src/api/schema.d.ts is stale').toBe(ts.replace(/^\/\*\*[\s\S]*?\*\/\s*/, ''));
  }, 60_000);
});
