/**
 * The contract itself: looks up the operation a request or response belongs to and validates path, query and
 * body against it (request) or the body against the documented status and media type (response).
 */
import { describe, issue, toIssues } from './issues';
import { deref, FORM, mediaEssence, type OaDocument, type OaRequestBody, type OaResponse } from './openapi';
import { checkPathParams, checkQuery, formToObject, mergeQuery } from './parameters';
import { label, PathIndex, type IndexedOperation } from './paths';
import type { Contract, ContractIssue, ContractOperation, ContractRequest, ContractResponse } from './types';
import { Validators } from './validators';

export class OpenApiContract implements Contract {
  private readonly index: PathIndex;
  private readonly validators: Validators;

  constructor(private readonly doc: OaDocument) {
    this.index = new PathIndex(doc);
    this.validators = new Validators(doc);
  }

  operation(method: string, path: string): ContractOperation | undefined {
    const { op } = this.index.locate(method, path);
    if (!op) return undefined;
    const scopes = [...new Set((op.operation.security ?? []).flatMap((requirement) => Object.values(requirement).flat()))];
    const result: ContractOperation = { operationId: op.operation.operationId ?? label(op), scopes, pathTemplate: op.template };
    const category = op.operation['x-ratelimit-category'];
    if (category !== undefined) result.rateLimitCategory = category;
    return result;
  }

  validateRequest(req: ContractRequest): ContractIssue[] {
    const located = this.index.locate(req.method, req.path);
    if (located.issue) return [located.issue];
    const op = located.op as IndexedOperation;
    const query = mergeQuery(located.query, req.query);
    return [
      ...checkPathParams(this.validators, op, located.pathParams),
      ...checkQuery(this.doc, this.validators, op, query),
      ...this.checkBody(op, req),
    ];
  }

  validateResponse(res: ContractResponse): ContractIssue[] {
    const where = `response ${res.status}`;
    const located = this.index.locate(res.method, res.path, where);
    if (located.issue) return [located.issue];
    const op = located.op as IndexedOperation;
    const responses = op.operation.responses ?? {};
    const statusKey = [String(res.status), `${String(res.status).charAt(0)}XX`, 'default'].find((k) => k in responses);
    if (statusKey === undefined) {
      const documented = Object.keys(responses).join(', ');
      return [issue(where, `status ${res.status} is not documented for ${label(op)} (documented: ${documented})`)];
    }
    const response = deref(this.doc, responses[statusKey]) as OaResponse;
    const content = response.content ?? {};
    if (Object.keys(content).length === 0) {
      const empty = res.body === undefined || res.body === null || res.body === '';
      if (empty) return [];
      return [issue(`${where} body`, `no body is documented for ${statusKey} of ${label(op)} (got ${describe(res.body)})`)];
    }
    const contentType = mediaEssence(res.contentType ?? 'application/json');
    const mediaKey = Object.keys(content).find((k) => mediaEssence(k) === contentType);
    if (mediaKey === undefined) {
      const documented = Object.keys(content).join(', ');
      return [issue(`${where} content-type`, `${contentType} is not documented for ${statusKey} (documented: ${documented})`)];
    }
    const schema = content[mediaKey]?.schema;
    if (schema === undefined) return [];
    if (res.body === undefined) return [{ where: `${where} body`, message: 'is missing' }];
    const validate = this.validators.get('response', `${op.method} ${op.template} ${statusKey} ${mediaKey}`, () => schema);
    return validate(res.body) ? [] : toIssues(`${where} body`, validate.errors, res.body);
  }

  private checkBody(op: IndexedOperation, req: ContractRequest): ContractIssue[] {
    const where = 'request body';
    const declared = op.operation.requestBody;
    const requestBody = declared === undefined ? undefined : (deref(this.doc, declared) as OaRequestBody);
    const absent = req.body === undefined || req.body === null || req.body === '';
    if (!requestBody) return absent ? [] : [issue(where, `${label(op)} takes no request body (got ${describe(req.body)})`)];
    if (absent) return requestBody.required === true ? [{ where, message: 'is required' }] : [];
    const content = requestBody.content ?? {};
    const guessed = typeof req.body === 'string' || req.body instanceof URLSearchParams ? FORM : 'application/json';
    const contentType = mediaEssence(req.contentType ?? guessed);
    const mediaKey = Object.keys(content).find((k) => mediaEssence(k) === contentType);
    if (mediaKey === undefined) {
      const accepted = Object.keys(content).join(', ');
      return [issue('request content-type', `${contentType} is not accepted by ${label(op)} (accepted: ${accepted})`)];
    }
    const schema = content[mediaKey]?.schema;
    if (schema === undefined) return [];
    const key = `${op.method} ${op.template} body ${mediaKey}`;
    if (contentType === FORM) {
      const data = formToObject(req.body);
      if (!data) return [issue(where, `must be a form string, URLSearchParams or object (got ${describe(req.body)})`)];
      const validate = this.validators.get('params', key, () => schema);
      return validate(data) ? [] : toIssues(where, validate.errors, data);
    }
    const validate = this.validators.get('request', key, () => schema);
    return validate(req.body) ? [] : toIssues(where, validate.errors, req.body);
  }
}
