/**
 * Contract checker against Pinterest's official OpenAPI description (test/fixtures/pinterest/openapi-v5.json,
 * OpenAPI 3.0.3, MIT). Requests the client would send and responses it must understand are validated with
 * ajv against the schemas of the matching operation.
 *
 * OpenAPI 3.0 schemas are not JSON Schema, and this description has quirks of its own. Each is translated
 * rather than by relaxing a check, because a contract test that passes by being lenient proves nothing. Each
 * quirk is explained beside the code that handles it:
 *
 * - convert.ts: OpenAPI schema -> JSON Schema: component `$ref`s, the request/response views (readOnly,
 *   writeOnly), `nullable`, `$ref` siblings, OAS-only keywords, boolean `exclusiveMinimum`.
 * - discriminator.ts: `discriminator` as one custom ajv keyword.
 * - formats.ts: date-time without offset, int32/int64/float/double/byte.
 * - parameters.ts: path/query parameters (coercion, arrays, deepObject) and form-urlencoded bodies.
 * - paths.ts / operations.ts: operation lookup and request/response validation; validators.ts: the ajv
 *   instances; issues.ts: readable reports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isObject, type OaDocument } from './openapi';
import { OpenApiContract } from './operations';
import type { Contract, ContractIssue } from './types';

export { isDateTimeWithOptionalOffset } from './formats';
export type { Contract, ContractIssue, ContractOperation, ContractRequest, ContractResponse } from './types';

const SPEC_PATH = join(__dirname, '../../fixtures/pinterest/openapi-v5.json');

/** A contract for any OpenAPI 3.0 document (the tests use small ones to pin down individual quirks). */
export function createContract(document: unknown): Contract {
  if (!isObject(document) || !isObject(document.paths)) throw new Error('contract: not an OpenAPI document');
  return new OpenApiContract(document as unknown as OaDocument);
}

let cached: Contract | undefined;

/** The contract for Pinterest's vendored description; parsed once per process, validators compiled lazily. */
export function loadContract(): Contract {
  cached ??= createContract(JSON.parse(readFileSync(SPEC_PATH, 'utf8')));
  return cached;
}

/** Throws a readable error listing every issue, so a failing test shows exactly what breaks the contract. */
export function expectConforms(issues: ContractIssue[]): void {
  if (issues.length === 0) return;
  const lines = issues.map((i) => `  - ${i.where}: ${i.message}`);
  const count = `${issues.length} issue${issues.length === 1 ? '' : 's'}`;
  throw new Error(`Does not conform to the Pinterest OpenAPI description (${count}):\n${lines.join('\n')}`);
}
