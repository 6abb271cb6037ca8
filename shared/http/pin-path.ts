import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from '../zod';
import { pathParams } from './input';

/** The `{id}` of a /pins/{id} route: a record id as POST /pins hands out (a UUID). */
const path = z.strictObject({
  id: z.string().check(z.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'the Pin id is a UUID as POST /pins answered it')),
});

export function pinIdOf(event: APIGatewayProxyEventV2): string {
  return pathParams(event, path).id;
}

/** The `version` every change carries: the record's version the operator saw. */
export const versionField = z.number('version must be the record\'s version number').check(z.int(), z.gte(1));
