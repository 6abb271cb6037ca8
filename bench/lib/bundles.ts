import { build, type Metafile } from 'esbuild';
import { functionSpecs, type FunctionId } from '../../shared/routes';

/**
 * Bundles functions exactly as the CDK stack does (infra/constructs/publisher-function.ts: esbuild,
 * minified with names kept, CJS, Node 24 target, the AWS SDK bundled in) and splits each bundle's bytes into the
 * function's own code, the AWS SDK and other third-party packages. Used by `npm run bench` and by
 * the budget tests in `npm test`.
 *
 * "SDK" means: a package that an SDK-only control bundle also contains. The control imports the same
 * AWS clients the function bundles and constructs them, nothing else, so the SDK share is exactly
 * what those clients cost and everything else is ours to answer for.
 */

export const bundleOptions = {
  bundle: true,
  // As the stack: minified, but functions keep their names, so stack traces stay readable without maps.
  minify: true,
  keepNames: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  logLevel: 'silent',
  metafile: true,
} as const;

/** The AWS client packages a function may bundle, and how the control constructs each. */
const sdkClients: Record<string, string> = {
  '@aws-sdk/client-dynamodb': "const d=new (require('@aws-sdk/client-dynamodb').DynamoDBClient)({});",
  '@aws-sdk/lib-dynamodb': "require('@aws-sdk/lib-dynamodb').DynamoDBDocumentClient.from(new (require('@aws-sdk/client-dynamodb').DynamoDBClient)({}));",
  '@aws-sdk/client-secrets-manager': "new (require('@aws-sdk/client-secrets-manager').SecretsManagerClient)({});",
  '@aws-sdk/client-ses': "new (require('@aws-sdk/client-ses').SESClient)({});",
  '@aws-sdk/client-s3': "new (require('@aws-sdk/client-s3').S3Client)({});",
  '@aws-sdk/client-lambda': "new (require('@aws-sdk/client-lambda').LambdaClient)({});",
};

/** `node_modules/@scope/name/...` → `@scope/name`; undefined for the repository's own files. */
export function packageOf(inputPath: string): string | undefined {
  const at = inputPath.lastIndexOf('node_modules/');
  if (at === -1) return undefined;
  const parts = inputPath.slice(at + 'node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') === true ? `${parts[0]}/${parts[1] ?? ''}` : parts[0];
}

export interface BundleReport {
  id: string;
  bytes: number;
  own: number;
  sdk: number;
  other: number;
  /** Other third-party bytes by package, largest first. */
  otherPackages: Array<[string, number]>;
  /** The repository's own files in the bundle. */
  ownFiles: string[];
  /** The AWS client packages it bundles (what its control constructs). */
  sdkClients: string[];
  /** The control's source (the same clients, constructed, nothing else). */
  controlSource: string;
  code: string;
}

function outputOf(metafile: Metafile): Metafile['outputs'][string] {
  const output = Object.values(metafile.outputs)[0];
  if (output === undefined) throw new Error('esbuild produced no output');
  return output;
}

/** The control for a set of AWS client packages: construct them, nothing else. */
export function controlSourceFor(clients: readonly string[]): string {
  return clients.map((client) => sdkClients[client] ?? '').join('\n');
}

export async function bundleSource(source: string, label: string): Promise<{ code: string; metafile: Metafile }> {
  const result = await build({ ...bundleOptions, stdin: { contents: source, resolveDir: process.cwd(), sourcefile: `${label}.js` }, write: false });
  return { code: result.outputFiles[0]?.text ?? '', metafile: result.metafile };
}

/** Bundles one function as the stack does and splits its bytes. */
export async function analyseFunction(id: FunctionId): Promise<BundleReport> {
  const result = await build({ ...bundleOptions, entryPoints: [functionSpecs[id].entry], write: false });
  const output = outputOf(result.metafile);
  const inputs = Object.entries(output.inputs);
  const packages = new Set(inputs.map(([path]) => packageOf(path)).filter((p): p is string => p !== undefined));
  const clients = Object.keys(sdkClients).filter((client) => packages.has(client));
  const controlSource = controlSourceFor(clients);
  const control = clients.length === 0 ? new Set<string>() : new Set(Object.keys(outputOf((await bundleSource(controlSource, `${id}-control`)).metafile).inputs).map(packageOf));
  let own = 0;
  let sdk = 0;
  const other = new Map<string, number>();
  const ownFiles: string[] = [];
  for (const [path, { bytesInOutput }] of inputs) {
    const pkg = packageOf(path);
    if (pkg === undefined) {
      own += bytesInOutput;
      ownFiles.push(path);
    } else if (control.has(pkg)) {
      sdk += bytesInOutput;
    } else {
      other.set(pkg, (other.get(pkg) ?? 0) + bytesInOutput);
    }
  }
  const otherPackages = [...other.entries()].sort((a, b) => b[1] - a[1]);
  return {
    id,
    bytes: output.bytes,
    own,
    sdk,
    other: otherPackages.reduce((sum, [, bytes]) => sum + bytes, 0),
    otherPackages,
    ownFiles,
    sdkClients: clients,
    controlSource,
    code: result.outputFiles[0]?.text ?? '',
  };
}

/** Every function's report, in the order of the function specs. */
export async function analyseAll(): Promise<BundleReport[]> {
  const reports: BundleReport[] = [];
  for (const id of Object.keys(functionSpecs) as FunctionId[]) reports.push(await analyseFunction(id));
  return reports;
}

/** What counts as Pinterest HTTP code in a bundle: the client adapter and any HTTP client package. */
export function pinterestCodeIn(report: BundleReport): string[] {
  return [
    ...report.ownFiles.filter((file) => file.includes('shared/adapters/pinterest/')),
    ...report.otherPackages.map(([pkg]) => pkg).filter((pkg) => ['undici', 'axios', 'node-fetch', 'got'].includes(pkg)),
  ];
}
