import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from '../zod';
import { pathParams } from './input';

/** The `{id}` of a /support/tickets/{id} route: a ticket reference (`MDZ-` and ten letters or digits). */
const path = z.strictObject({
  id: z.string().check(z.regex(/^MDZ-[A-Z2-9]{10}$/, 'the ticket id is a reference such as MDZ-7KQ2M9XHTA')),
});

export function ticketIdOf(event: APIGatewayProxyEventV2): string {
  return pathParams(event, path).id;
}
