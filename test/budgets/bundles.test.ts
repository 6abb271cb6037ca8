import { analyseAll, pinterestCodeIn, type BundleReport } from '../../bench/lib/bundles';
import { budgetFor } from '../../bench/lib/budgets';
import { functionSpecs, type FunctionId } from '../../shared/routes';

/**
 * Bundle budgets, enforced on every run of the test command (sizes only; times are printed by
 * `npm run bench`, never asserted). Each function is bundled as the CDK stack bundles it.
 */

let reports: BundleReport[] = [];
beforeAll(async () => {
  reports = await analyseAll();
}, 120_000);

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

describe('bundle budgets', () => {
  it('bundles every function in the spec table', () => {
    expect(reports.map((r) => r.id).sort()).toEqual(Object.keys(functionSpecs).sort());
  });

  it.each(Object.keys(functionSpecs) as FunctionId[])('%s: own code and non-SDK third-party code stay within budget', (id) => {
    const report = reports.find((r) => r.id === id);
    if (report === undefined) throw new Error(`no report for ${id}`);
    const budget = budgetFor(id);
    const problems = [
      ...(report.own > budget.ownBytes ? [`own code ${kib(report.own)} > ${kib(budget.ownBytes)}`] : []),
      ...(report.other > budget.otherThirdPartyBytes
        ? [`other third party ${kib(report.other)} > ${kib(budget.otherThirdPartyBytes)}: ${report.otherPackages.map(([p, b]) => `${p} ${kib(b)}`).join(', ')}`]
        : []),
    ];
    expect({ id, problems }).toEqual({ id, problems: [] });
  });

  it('puts Pinterest HTTP code only in the functions that call Pinterest', () => {
    for (const report of reports) {
      const calls = (functionSpecs[report.id as FunctionId] as { callsPinterest?: true }).callsPinterest === true;
      if (!calls) expect({ id: report.id, pinterestCode: pinterestCodeIn(report) }).toEqual({ id: report.id, pinterestCode: [] });
    }
    // The check is live: the callback does carry the client.
    expect(pinterestCodeIn(reports.find((r) => r.id === 'oauthCallback') ?? reports[0] ?? ({} as BundleReport)).length).toBeGreaterThan(0);
  });

  it('bundles no HTTP client package at all: Pinterest is called with node:https', () => {
    for (const report of reports) expect({ id: report.id, packages: report.otherPackages.map(([p]) => p).filter((p) => p === 'undici') }).toEqual({ id: report.id, packages: [] });
  });

  it('keeps function names in minified bundles, so stack traces stay readable without source maps', () => {
    const callback = reports.find((r) => r.id === 'oauthCallback');
    expect(callback?.code).toContain('"completeCallback"');
    expect(callback?.code).toContain('"PinterestApiError"');
  });
});
