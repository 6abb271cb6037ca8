/** The public shapes of the contract checker (re-exported by index.ts). */

export interface ContractIssue {
  where: string;
  message: string;
}

export interface ContractRequest {
  method: string;
  path: string;
  query?: Record<string, string | string[]> | URLSearchParams;
  contentType?: string;
  body?: unknown;
}

export interface ContractResponse {
  method: string;
  path: string;
  status: number;
  body: unknown;
  contentType?: string;
}

export interface ContractOperation {
  operationId: string;
  scopes: string[];
  rateLimitCategory?: string;
  /** The spec's path template the concrete path matched, e.g. '/boards/{board_id}'. */
  pathTemplate: string;
}

export interface Contract {
  /**
   * Validates a request the client would send. `path` is the concrete path under /v5 ('/boards/123/pins' or
   * '/v5/boards/123/pins'; a query string on it is merged into `query`).
   */
  validateRequest(req: ContractRequest): ContractIssue[];
  /** Validates a response body against the documented response for that status (or `default`). */
  validateResponse(res: ContractResponse): ContractIssue[];
  /** The operation's id, OAuth scopes and x-ratelimit-category, or undefined if the spec has no such operation. */
  operation(method: string, path: string): ContractOperation | undefined;
}
