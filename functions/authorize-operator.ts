import middy from '@middy/core';
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { credentialMatches, operatorCredentialRecord } from '../shared/domain/operator-credential';
import { lambdaContext, rememberPresentedCredential } from '../shared/observability/lambda-context';
import { logger } from '../shared/observability/logger';
import { requestFacts } from '../shared/http/request-facts';
import { names, safeSecurityLog, secretStore } from '../shared/wiring';

type Result = APIGatewaySimpleAuthorizerWithContextResult<{ principal: string }>;

/** `Authorization: Bearer <credential>`; anything else presents no credential. */
function presentedCredential(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * The operator authorizer (API Gateway Lambda authorizer, simple responses). API Gateway itself
 * answers 401 when the Authorization header is missing; this function answers `isAuthorized: false`
 * (API Gateway's 403) for a wrong credential, after a constant-time comparison of its SHA-256 with
 * the stored hash, and records the refusal in the security log.
 */
async function authorize(event: APIGatewayRequestAuthorizerEventV2): Promise<Result> {
  const presented = presentedCredential(event.headers?.authorization);
  // Read past the secret cache: API Gateway already caches results for 30 s, and a second cache here
  // would stretch how long a rotated credential keeps working (and delay the new one).
  const record = await secretStore().get(names().operatorCredential, operatorCredentialRecord, { bypassCache: true });
  if (record === undefined) logger.error('no operator credential is stored: run npm run setup -- --region <region>');
  const allowed = presented !== undefined && record !== undefined && credentialMatches(presented, record);
  if (!allowed) {
    await safeSecurityLog().write({
      kind: 'auth_denied',
      outcome: 'denied',
      ...requestFacts(event),
      status: 403,
      errorCode: presented === undefined ? 'malformed_credential' : 'wrong_credential',
    });
  }
  return { isAuthorized: allowed, context: { principal: allowed ? 'operator' : 'none' } };
}

export const handler = middy<APIGatewayRequestAuthorizerEventV2, Result>()
  .use(rememberPresentedCredential())
  .use(lambdaContext())
  .handler(authorize);
