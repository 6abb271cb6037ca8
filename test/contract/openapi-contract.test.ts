import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContract, expectConforms, loadContract, type ContractIssue } from '../support/contract';

const contract = loadContract();

const FORM = 'application/x-www-form-urlencoded';
const AUTH_CODE_FORM = 'grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Fx.test%2Fcb';

const tokenResponse = {
  access_token: 'pina_AMA-example',
  token_type: 'bearer',
  expires_in: 2592000,
  scope: 'boards:read,boards:write,pins:read,pins:write,user_accounts:read',
  refresh_token: 'pinr_AQA-example',
  refresh_token_expires_in: 5184000,
  response_type: 'authorization_code',
};

const account = {
  account_type: 'BUSINESS',
  business_name: null,
  id: '2783136121146311751',
  username: 'miradigitalzen',
  profile_image: 'https://i.pinimg.com/600x600_R/42/f5/36/42f5365d.jpg',
  website_url: 'https://miradigitalzen.example',
  follower_count: null,
};

const pin = {
  id: '813744226420795884',
  created_at: '2020-01-01T20:10:40',
  board_id: '549755885175',
  title: 'Summer recipes',
  creative_type: null,
  media: { media_type: 'image', images: { '600x': { width: 600, height: 900, url: 'https://i.pinimg.com/600x/a.jpg' } } },
};

function wheres(issues: ContractIssue[]): string[] {
  return issues.map((i) => i.where);
}

function without(value: object, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== key));
}

function issueAt(issues: ContractIssue[], where: string): ContractIssue {
  const found = issues.find((i) => i.where === where);
  if (!found) throw new Error(`expected an issue at ${where}, got ${JSON.stringify(issues, null, 2)}`);
  return found;
}

describe('loadContract', () => {
  it('returns the same cached contract on every call', () => {
    expect(loadContract()).toBe(contract);
  });

  it('loads and validates one response of each operation the publisher uses without blowing the time budget', () => {
    const c = loadContract();
    const results = [
      c.validateResponse({ method: 'POST', path: '/v5/oauth/token', status: 200, body: tokenResponse }),
      c.validateResponse({ method: 'GET', path: '/v5/user_account', status: 200, body: account }),
      c.validateResponse({ method: 'GET', path: '/v5/boards', status: 200, body: { items: [], bookmark: null } }),
      c.validateResponse({ method: 'POST', path: '/v5/pins', status: 201, body: pin }),
      c.validateResponse({ method: 'GET', path: '/v5/pins/813744226420795884', status: 200, body: pin }),
    ];
    for (const issues of results) expectConforms(issues);
  });
});

describe('the description validates against itself', () => {
  const spec = JSON.parse(readFileSync(join(__dirname, '../fixtures/pinterest/openapi-v5.json'), 'utf8')) as {
    paths: Record<string, Record<string, { responses?: Record<string, unknown>; requestBody?: unknown }>>;
  };

  function deref(value: unknown): Record<string, unknown> {
    let node = value as Record<string, unknown>;
    while (typeof node.$ref === 'string') {
      node = node.$ref
        .slice(2)
        .split('/')
        .reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, spec as unknown as Record<string, unknown>);
    }
    return node;
  }

  function examplesOf(media: Record<string, unknown>): [string, unknown][] {
    const named = Object.entries((media.examples ?? {}) as Record<string, unknown>).map(([k, v]): [string, unknown] => [k, deref(v).value]);
    return media.example === undefined ? named : [['example', media.example], ...named];
  }

  type Media = Record<string, unknown>;
  const contentOf = (target: unknown): Record<string, Media> => (deref(target).content ?? {}) as Record<string, Media>;

  it("accepts the spec's own response examples for GET /v5/user_account 403 and POST /v5/ad_accounts/{id}/events 401", () => {
    const forbidden = contentOf(spec.paths['/user_account']?.get?.responses?.['403'])['application/json'] ?? {};
    expect(examplesOf(forbidden)).toEqual([['example', { code: 403, message: 'Not authorized to access the user account.' }]]);
    for (const [, body] of examplesOf(forbidden)) {
      expectConforms(contract.validateResponse({ method: 'GET', path: '/v5/user_account', status: 403, body }));
    }

    const unauthorized = contentOf(spec.paths['/ad_accounts/{ad_account_id}/events']?.post?.responses?.['401'])['application/json'] ?? {};
    expect(examplesOf(unauthorized).map(([name]) => name)).toEqual(['UnauthorizedAccess']);
    for (const [, body] of examplesOf(unauthorized)) {
      expectConforms(contract.validateResponse({ method: 'POST', path: '/v5/ad_accounts/549755885175/events', status: 401, body }));
    }
  });

  it("accepts the spec's named request examples for POST /v5/catalogs/product_groups and pins a broken one on the exact field", () => {
    const create = (body: unknown): ContractIssue[] => contract.validateRequest({ method: 'POST', path: '/v5/catalogs/product_groups', body });
    const examples = examplesOf(contentOf(spec.paths['/catalogs/product_groups']?.post?.requestBody)['application/json'] ?? {});
    expect(examples.map(([name]) => name)).toEqual(expect.arrayContaining(['HotelFewFiltersUsingAllOf', 'RetailFewFiltersUsingAllOf']));
    for (const [, body] of examples) expectConforms(create(body));

    // The body is a plain oneOf of a legacy and a catalog_type-discriminated request, so the legacy branch adds
    // its own (vague) complaints; the discriminated branch still names the field and the variant.
    const hotel = examples.find(([name]) => name === 'HotelFewFiltersUsingAllOf')?.[1] as Record<string, unknown>;
    expect(create({ ...hotel, catalog_type: 'SHOES' })).toContainEqual({
      where: 'request body/catalog_type',
      message: `must be one of the discriminator's mapped values: RETAIL, HOTEL, CREATIVE_ASSETS (got "SHOES")`,
    });
    expect(create({ ...hotel, catalog_id: 'abc' })).toContainEqual({
      where: 'request body/catalog_id',
      message: `must match pattern "^\\d+$" (got "abc") [catalog_type 'HOTEL' selects CatalogsHotelProductGroupCreateRequest]`,
    });
  });

  it('compiles every documented request and response schema in strict mode and accepts every media-type example in it', () => {
    const fill = (template: string): string => template.replace(/\{[^}]+\}/g, '1');
    const failures: string[] = [];
    let examples = 0;
    for (const [template, item] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, response] of Object.entries(op.responses ?? {})) {
          const code = status === 'default' ? 599 : Number(status);
          for (const [contentType, media] of Object.entries((deref(response).content ?? {}) as Record<string, Record<string, unknown>>)) {
            // Throws if the converted schema is not strict-mode valid.
            contract.validateResponse({ method, path: fill(template), status: code, contentType, body: {} });
            for (const [name, body] of examplesOf(media)) {
              examples += 1;
              const issues = contract.validateResponse({ method, path: fill(template), status: code, contentType, body });
              if (issues.length > 0) failures.push(`${method} ${template} ${status} ${name}: ${JSON.stringify(issues)}`);
            }
          }
        }
        if (op.requestBody === undefined) continue;
        for (const [contentType, media] of Object.entries(deref(op.requestBody).content as Record<string, Record<string, unknown>>)) {
          contract.validateRequest({ method, path: fill(template), contentType, body: contentType === FORM ? 'x=1' : {} });
          for (const [name, body] of examplesOf(media)) {
            examples += 1;
            const issues = contract.validateRequest({ method, path: fill(template), contentType, body });
            if (issues.length > 0) failures.push(`${method} ${template} request ${name}: ${JSON.stringify(issues)}`);
          }
        }
      }
    }
    expect(examples).toBeGreaterThan(200);
    expect(failures).toEqual([]);
  });
});

describe('POST /v5/oauth/token', () => {
  const exchange = (body: unknown, contentType = FORM): ContractIssue[] =>
    contract.validateRequest({ method: 'POST', path: '/v5/oauth/token', contentType, body });
  const tokenReply = (body: unknown): ContractIssue[] =>
    contract.validateResponse({ method: 'POST', path: '/v5/oauth/token', status: 200, body });

  it('accepts a form-encoded authorization_code exchange, as a string or URLSearchParams', () => {
    expectConforms(exchange(AUTH_CODE_FORM));
    expectConforms(exchange(new URLSearchParams(AUTH_CODE_FORM), `${FORM}; charset=utf-8`));
  });

  it('accepts a refresh_token grant', () => {
    expectConforms(exchange(new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'pinr_x', scope: 'pins:read' })));
  });

  it('rejects an unknown grant_type at request body/grant_type', () => {
    const issues = exchange('grant_type=password&code=abc&redirect_uri=https%3A%2F%2Fx.test%2Fcb');
    expect(new Set(wheres(issues))).toEqual(new Set(['request body/grant_type']));
    expect(issueAt(issues, 'request body/grant_type').message).toContain('(got "password")');
  });

  it("reports the authorization_code variant's missing redirect_uri", () => {
    expect(exchange('grant_type=authorization_code&code=abc')).toEqual([
      { where: 'request body/redirect_uri', message: "is required [grant_type 'authorization_code' selects OauthAccessTokenRequestCode]" },
    ]);
  });

  it('rejects the exchange sent as JSON, which the endpoint does not accept', () => {
    expect(wheres(exchange({ grant_type: 'authorization_code' }, 'application/json'))).toEqual(['request content-type']);
  });

  it('accepts an authorization_code token response', () => {
    expectConforms(tokenReply(tokenResponse));
  });

  it('rejects a token response whose response_type is not a documented value, at body/response_type', () => {
    const issues = tokenReply({ ...tokenResponse, response_type: 'implicit' });
    expect(new Set(wheres(issues))).toEqual(new Set(['response 200 body/response_type']));
    expect(issues[0]?.message).toContain('(got "implicit")');
  });

  it('rejects a token response missing expires_in, at body/expires_in', () => {
    expect(tokenReply(without(tokenResponse, 'expires_in'))).toEqual([{ where: 'response 200 body/expires_in', message: 'is required' }]);
  });

  it('rejects a token response with a string expires_in, naming the type', () => {
    expect(tokenReply({ ...tokenResponse, expires_in: '2592000' })).toEqual([
      { where: 'response 200 body/expires_in', message: 'must be integer (got "2592000")' },
    ]);
  });

  it('holds a refresh_token response to the refresh variant, which requires refresh_token_expires_at', () => {
    expect(tokenReply({ ...tokenResponse, response_type: 'refresh_token' })).toEqual([
      {
        where: 'response 200 body/refresh_token_expires_at',
        message: "is required [response_type 'refresh_token' selects OauthAccessTokenResponseRefresh]",
      },
    ]);
  });

  it('reports a token response without the response_type discriminator', () => {
    expect(tokenReply(without(tokenResponse, 'response_type'))).toEqual([{ where: 'response 200 body/response_type', message: 'is required' }]);
  });

  it('exposes the basic-auth, org_read-limited operation', () => {
    expect(contract.operation('POST', '/v5/oauth/token')).toEqual({
      operationId: 'oauth/token',
      scopes: [],
      rateLimitCategory: 'org_read',
      pathTemplate: '/oauth/token',
    });
  });
});

describe('GET /v5/user_account', () => {
  const reply = (body: unknown, status = 200): ContractIssue[] =>
    contract.validateResponse({ method: 'GET', path: '/v5/user_account', status, body });
  const ask = (query: Record<string, string>): ContractIssue[] => contract.validateRequest({ method: 'GET', path: '/v5/user_account', query });

  it('accepts an Account whose nullable business_name and follower_count are null', () => {
    expectConforms(reply(account));
  });

  it("rejects account_type 'ROBOT', listing the allowed values", () => {
    expect(reply({ ...account, account_type: 'ROBOT' })).toEqual([
      { where: 'response 200 body/account_type', message: 'must be one of "PINNER", "BUSINESS" (got "ROBOT")' },
    ]);
  });

  it('rejects a non-null, non-integer count although the count is nullable', () => {
    expect(reply({ ...account, pin_count: 'many' })).toEqual([
      { where: 'response 200 body/pin_count', message: 'must be integer or null (got "many")' },
    ]);
  });

  it("validates a 401 against the 'default' Error response and requires its code", () => {
    expectConforms(reply({ code: 2, message: 'Authentication failed.' }, 401));
    expect(reply({ message: 'x' }, 401)).toEqual([{ where: 'response 401 body/code', message: 'is required' }]);
  });

  it('rejects an undeclared query parameter but accepts ad_account_id', () => {
    expectConforms(ask({ ad_account_id: '549755885175' }));
    expect(wheres(ask({ fields: 'all' }))).toEqual(['request query/fields']);
  });
});

describe('Pin responses', () => {
  const reply = (body: unknown): ContractIssue[] =>
    contract.validateResponse({ method: 'GET', path: '/v5/pins/813744226420795884', status: 200, body });

  it('accept a created_at without a UTC offset, as Pinterest sends it, and with Z or an offset', () => {
    for (const created_at of ['2020-01-01T20:10:40', '2020-01-01T20:10:40.123Z', '2020-01-01T20:10:40+02:00']) {
      expectConforms(reply({ ...pin, created_at }));
    }
  });

  it("reject created_at 'yesterday', an impossible date, an offset without a colon and a bare date", () => {
    for (const created_at of ['yesterday', '2020-02-30T20:10:40', '2020-01-01T20:10:40+0200', '2020-01-01']) {
      expect(reply({ ...pin, created_at })).toEqual([
        { where: 'response 200 body/created_at', message: `must be a valid date-time (got ${JSON.stringify(created_at)})` },
      ]);
    }
  });

  it('report the exact item of a list response that breaks the contract', () => {
    const body = { items: [pin, { ...pin, created_at: 'yesterday' }], bookmark: null };
    const issues = contract.validateResponse({ method: 'GET', path: '/v5/boards/549755885175/pins', status: 200, body });
    expect(wheres(issues)).toEqual(['response 200 body/items/1/created_at']);
  });

  it('accept null for the nullable allOf creative_type but reject an unknown value', () => {
    expectConforms(reply({ ...pin, creative_type: null }));
    expect(wheres(reply({ ...pin, creative_type: 'HOLOGRAM' }))).toEqual(['response 200 body/creative_type']);
  });

  it('select the media schema by media_type and reject an unmapped one', () => {
    const issues = reply({ ...pin, media: { media_type: 'hologram' } });
    expect(wheres(issues)).toEqual(['response 200 body/media/media_type']);
    expect(issues[0]?.message).toContain('image, video, multiple_images, multiple_videos, multiple_mixed');
  });

  it('require the id', () => {
    expect(reply(without(pin, 'id'))).toEqual([{ where: 'response 200 body/id', message: 'is required' }]);
  });
});

describe('POST /v5/pins', () => {
  const createPin = (body: unknown): ContractIssue[] => contract.validateRequest({ method: 'POST', path: '/v5/pins', body });
  const withSource = (media_source: unknown): ContractIssue[] => createPin({ board_id: '549755885175', title: 'Summer', media_source });

  it('accepts an image_url media source', () => {
    expectConforms(withSource({ source_type: 'image_url', url: 'https://x.test/a.png' }));
  });

  it('reports an image_base64 source without data at media_source/data, naming the image_base64 variant', () => {
    expect(withSource({ source_type: 'image_base64', content_type: 'image/png' })).toEqual([
      { where: 'request body/media_source/data', message: "is required [source_type 'image_base64' selects PinMediaSourceImageBase64]" },
    ]);
  });

  it('reports a missing or unmapped source_type instead of a vague oneOf failure', () => {
    expect(withSource({ url: 'https://x.test/a.png' })).toEqual([{ where: 'request body/media_source/source_type', message: 'is required' }]);
    const issues = withSource({ source_type: 'image_gif', url: 'https://x.test/a.gif' });
    expect(wheres(issues)).toEqual(['request body/media_source/source_type']);
    expect(issues[0]?.message).toContain('image_base64, image_url, video_id');
  });

  it("validates the selected variant's own constraints and the pin's", () => {
    expect(wheres(withSource({ source_type: 'image_base64', content_type: 'image/png', data: 'not base64!' }))).toEqual([
      'request body/media_source/data',
    ]);
    expect(wheres(createPin({ board_id: 'my-board', media_source: { source_type: 'image_url', url: 'u' } }))).toEqual(['request body/board_id']);
  });

  it('requires a body', () => {
    expect(createPin(undefined)).toEqual([{ where: 'request body', message: 'is required' }]);
  });

  it('exposes its org_write rate-limit category and scopes', () => {
    const op = contract.operation('POST', '/v5/pins');
    expect(op).toMatchObject({ operationId: 'pins/create', pathTemplate: '/pins', rateLimitCategory: 'org_write' });
    expect([...(op?.scopes ?? [])].sort()).toEqual(['boards:read', 'boards:write', 'pins:read', 'pins:write']);
  });
});

describe('query and path parameters', () => {
  const boards = (query?: Record<string, string | string[]> | URLSearchParams, path = '/v5/boards'): ContractIssue[] =>
    contract.validateRequest({ method: 'GET', path, query });
  const pins = (query: Record<string, string | string[]>): ContractIssue[] =>
    contract.validateRequest({ method: 'GET', path: '/v5/pins', query });

  it('reports an undeclared query parameter on GET /v5/boards', () => {
    const issues = boards({ foo: '1' });
    expect(wheres(issues)).toEqual(['request query/foo']);
    expect(issues[0]?.message).toContain('declared: ad_account_id, privacy, bookmark, page_size');
  });

  it('reports page_size=300 (maximum 250) and a non-integer page_size', () => {
    expect(boards({ page_size: '300' })).toEqual([{ where: 'request query/page_size', message: 'must be <= 250 (got 300)' }]);
    expect(wheres(boards({ page_size: '2.5' }))).toEqual(['request query/page_size']);
  });

  it('accepts page_size=25&bookmark=abc given as an object, URLSearchParams or on the path', () => {
    expectConforms(boards({ page_size: '25', bookmark: 'abc' }));
    expectConforms(boards(new URLSearchParams('page_size=25&bookmark=abc'), '/boards'));
    expectConforms(boards(undefined, '/v5/boards?page_size=25&bookmark=abc'));
  });

  it('checks enum parameters reached through $ref and reports a scalar given twice', () => {
    expectConforms(boards({ privacy: 'SECRET' }));
    expect(wheres(boards({ privacy: 'HIDDEN' }))).toEqual(['request query/privacy']);
    expect(boards({ bookmark: ['a', 'b'] })).toEqual([
      { where: 'request query/bookmark', message: 'is given 2 times but is not an array parameter' },
    ]);
  });

  it('accepts array parameters comma-separated or repeated and checks each item', () => {
    expectConforms(pins({ creative_types: 'REGULAR,VIDEO', pin_metrics: 'true' }));
    expectConforms(pins({ creative_types: ['REGULAR', 'VIDEO'] }));
    expect(wheres(pins({ creative_types: 'REGULAR,GIF' }))).toEqual(['request query/creative_types/1']);
    expect(wheres(pins({ pin_metrics: 'yes' }))).toEqual(['request query/pin_metrics']);
  });

  it('reads deepObject parameters as name[key]=value, nested, and holds them to their discriminated schema', () => {
    const stats = (query: string): ContractIssue[] => contract.validateRequest({ method: 'GET', path: `/v5/catalogs/reports/stats?${query}` });
    const retail = 'parameters[catalog_type]=RETAIL&parameters[report][report_type]=FEED_INGESTION_ISSUES';
    expectConforms(stats(`${retail}&parameters[report][feed_id]=123`));
    expect(stats(retail)).toEqual([
      {
        where: 'request query/parameters/report/feed_id',
        message: "is required [report_type 'FEED_INGESTION_ISSUES' selects CatalogsReportFeedIngestionFilter]",
      },
    ]);
    expect(stats('parameters=RETAIL')).toContainEqual({
      where: 'request query/parameters',
      message: 'is a deepObject parameter: send it as parameters[property]=value',
    });
  });

  it('validates path parameters against their schemas', () => {
    expectConforms(boards(undefined, '/v5/boards/549755885175'));
    expect(boards(undefined, '/v5/boards/summer-recipes')).toEqual([
      { where: 'request path/board_id', message: 'must match pattern "^\\d+$" (got "summer-recipes")' },
    ]);
  });

  it('prefers a literal path over a template, as a router would', () => {
    expect(contract.operation('GET', '/v5/pins/analytics')?.pathTemplate).toBe('/pins/analytics');
    expect(contract.operation('GET', '/v5/pins/813744226420795884')?.pathTemplate).toBe('/pins/{pin_id}');
  });
});

describe('unknown operations and undocumented responses', () => {
  it('reports an unknown path', () => {
    expect(contract.validateRequest({ method: 'GET', path: '/v5/pins/1/comments' })).toEqual([
      { where: 'request', message: 'no path in the Pinterest API description matches /pins/1/comments' },
    ]);
    expect(contract.operation('GET', '/v5/nope')).toBeUndefined();
  });

  it('reports a method the path does not have', () => {
    expect(contract.validateRequest({ method: 'PUT', path: '/v5/boards' })).toEqual([
      { where: 'request', message: 'PUT is not an operation of /boards (documented: GET, POST)' },
    ]);
    expect(wheres(contract.validateResponse({ method: 'PUT', path: '/v5/boards', status: 200, body: {} }))).toEqual(['response 200']);
  });

  it('reports a body on a 204 and a body on a GET', () => {
    const deleted = (body: unknown): ContractIssue[] => contract.validateResponse({ method: 'DELETE', path: '/v5/pins/1', status: 204, body });
    expectConforms(deleted(undefined));
    expect(wheres(deleted({ ok: true }))).toEqual(['response 204 body']);
    expect(wheres(contract.validateRequest({ method: 'GET', path: '/v5/boards', body: { name: 'x' } }))).toEqual(['request body']);
  });

  it('reports a response content type the operation does not document', () => {
    const issues = contract.validateResponse({ method: 'GET', path: '/v5/user_account', status: 200, contentType: 'text/html', body: '<html>' });
    expect(wheres(issues)).toEqual(['response 200 content-type']);
  });
});

describe('expectConforms', () => {
  it('passes when there are no issues and otherwise throws listing each one', () => {
    expect(() => {
      expectConforms([]);
    }).not.toThrow();
    expect(() => {
      expectConforms([
        { where: 'response 200 body/created_at', message: 'must be a valid date-time (got "yesterday")' },
        { where: 'request query/foo', message: 'is not a query parameter of GET /boards' },
      ]);
    }).toThrow(/2 issues\):\n {2}- response 200 body\/created_at: must be a valid date-time \(got "yesterday"\)\n {2}- request query\/foo: /);
  });
});

describe('quirk handling, pinned on a small description', () => {
  const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
  const json = (schema: unknown): Record<string, unknown> => ({ 'application/json': { schema } });
  const mini = createContract({
    openapi: '3.0.3',
    paths: {
      '/things': {
        post: {
          requestBody: { required: true, content: json(ref('Thing')) },
          responses: { '201': { description: 'created', content: json(ref('Thing')) } },
        },
      },
      '/things/{thing_id}': {
        parameters: [{ name: 'thing_id', in: 'path', required: true, schema: { type: 'integer', format: 'int32' } }],
        get: { responses: { '200': { $ref: '#/components/responses/ThingResponse' } } },
      },
      '/envelopes': {
        post: {
          requestBody: { content: json(ref('Envelope')) },
          responses: { '200': { description: 'ok', content: json(ref('Envelope')) } },
        },
      },
      '/pets': {
        post: { requestBody: { content: json(ref('Pet')) }, responses: { '204': { description: 'stored' } } },
      },
      '/odd': {
        get: { responses: { '200': { description: 'ok', content: json({ type: 'string', frobnicate: true }) } } },
      },
    },
    components: {
      responses: { ThingResponse: { description: 'a thing', content: json(ref('Thing')) } },
      schemas: {
        Thing: {
          type: 'object',
          required: ['id', 'name', 'secret'],
          properties: {
            id: { type: 'string', readOnly: true, example: 'ignored' },
            name: { type: 'string', 'x-internal': true },
            secret: { type: 'string', writeOnly: true },
            small: { type: 'integer', format: 'int32' },
            big: { type: 'integer', format: 'int64' },
            single: { type: 'number', format: 'float' },
            ratio: { type: 'number', minimum: 0, maximum: 1, exclusiveMinimum: true },
            colour: { type: 'string', enum: ['red', 'blue'], nullable: true },
            owner: { $ref: '#/components/schemas/Owner', nullable: true },
            tag: { type: 'string', format: 'pinterest-tag' },
            blob: { type: 'string', format: 'byte' },
            closed: { type: 'object', additionalProperties: false, properties: { a: { type: 'string' } } },
            open: { type: 'object', properties: { a: { type: 'string' } } },
          },
        },
        Owner: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
        Envelope: { allOf: [ref('Thing'), { type: 'object', required: ['id'] }] },
        Pet: {
          type: 'object',
          required: ['pet_type'],
          properties: { pet_type: { type: 'string' } },
          discriminator: { propertyName: 'pet_type', mapping: { cat: '#/components/schemas/Cat' } },
          oneOf: [ref('Cat'), ref('Dog')],
        },
        Cat: { allOf: [ref('Pet'), { type: 'object', required: ['meows'], properties: { meows: { type: 'boolean' } } }] },
        Dog: { allOf: [ref('Pet'), { type: 'object', required: ['barks'], properties: { barks: { type: 'boolean' } } }] },
      },
    },
  });
  const thing = { name: 'n', secret: 's' };
  const postThing = (body: unknown): ContractIssue[] => mini.validateRequest({ method: 'POST', path: '/things', body });
  const thingCreated = (body: unknown): ContractIssue[] => mini.validateResponse({ method: 'POST', path: '/things', status: 201, body });
  const postPet = (body: unknown): ContractIssue[] => mini.validateRequest({ method: 'POST', path: '/pets', body });

  it('does not require readOnly properties in requests but does in responses', () => {
    expectConforms(postThing(thing));
    expect(thingCreated({ name: 'n' })).toEqual([{ where: 'response 201 body/id', message: 'is required' }]);
  });

  it('does not require writeOnly properties in responses but does in requests', () => {
    expectConforms(thingCreated({ id: '1', name: 'n' }));
    expect(postThing({ name: 'n' })).toEqual([{ where: 'request body/secret', message: 'is required' }]);
  });

  it('recognises a readOnly property required from a sibling allOf member', () => {
    expectConforms(mini.validateRequest({ method: 'POST', path: '/envelopes', body: thing }));
    const issues = mini.validateResponse({ method: 'POST', path: '/envelopes', status: 200, body: { name: 'n' } });
    expect(wheres(issues)).toEqual(['response 200 body/id']);
  });

  it('adds null to a nullable enum and to a nullable $ref without loosening the non-null case', () => {
    expectConforms(postThing({ ...thing, colour: null, owner: null }));
    expect(postThing({ ...thing, colour: 'green', owner: {} })).toEqual([
      { where: 'request body/colour', message: 'must be one of "red", "blue", null (got "green")' },
      { where: 'request body/owner/name', message: 'is required' },
    ]);
  });

  it('turns the boolean exclusiveMinimum into an exclusive bound', () => {
    for (const ratio of [0.5, 1]) expectConforms(postThing({ ...thing, ratio }));
    for (const ratio of [0, 1.5]) expect(wheres(postThing({ ...thing, ratio }))).toEqual(['request body/ratio']);
  });

  it('range-checks int32, int64 and float, and checks byte strictly', () => {
    expectConforms(postThing({ ...thing, small: 2 ** 31 - 1, big: 2 ** 53, single: 1.5, blob: 'QUJD' }));
    const issues = postThing({ ...thing, small: 2 ** 31, big: 2 ** 64, single: 1e39, blob: '!!!\nQUJD' });
    expect(wheres(issues)).toEqual(['request body/small', 'request body/big', 'request body/single', 'request body/blob']);
    expect(wheres(mini.validateRequest({ method: 'GET', path: '/things/99999999999' }))).toEqual(['request path/thing_id']);
    expectConforms(mini.validateResponse({ method: 'GET', path: '/things/42', status: 200, body: { id: '1', name: 'n' } }));
  });

  it('ignores formats nobody defines instead of throwing', () => {
    expectConforms(postThing({ ...thing, tag: 'anything' }));
  });

  it('keeps additionalProperties exactly as written', () => {
    expectConforms(postThing({ ...thing, open: { a: 'x', b: 1 }, extra: true }));
    expect(postThing({ ...thing, closed: { a: 'x', b: 1 } })).toEqual([
      { where: 'request body/closed/b', message: 'is not allowed here (additionalProperties: false)' },
    ]);
  });

  it('dispatches on explicit and implicit (schema name) mappings without recursing through allOf inheritance', () => {
    expectConforms(postPet({ pet_type: 'cat', meows: true }));
    expectConforms(postPet({ pet_type: 'Dog', barks: false }));
    expect(postPet({ pet_type: 'Dog', meows: true })).toEqual([
      { where: 'request body/barks', message: "is required [pet_type 'Dog' selects Dog]" },
    ]);
    // 'Cat' is mapped explicitly as 'cat', so the implicit name is not a value.
    expect(wheres(postPet({ pet_type: 'Cat', meows: true }))).toEqual(['request body/pet_type']);
  });

  it('fails loudly on a schema keyword it does not understand rather than ignoring it', () => {
    expect(() => mini.validateResponse({ method: 'GET', path: '/odd', status: 200, body: 'x' })).toThrow(/frobnicate/);
  });
});
