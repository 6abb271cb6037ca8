import { loadSettings } from '../shared/config';
import { routes } from '../shared/routes';
import { startApiServer } from './server';

/**
 * `npm start`: runs the product locally and offline. Every setting can be overridden from the
 * environment; the defaults below are the local ones documented in the README.
 */

const port = Number(process.env.PORT ?? 3000);
const localDefaults: Record<string, string> = {
  PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
  OPERATOR_NOTIFY_EMAIL: 'operator@publisher.test',
  SENDER_EMAIL: 'info@ecooffice.net',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
for (const [name, value] of Object.entries(localDefaults)) process.env[name] ??= value;

async function main(): Promise<void> {
  loadSettings(); // fail at once, naming the variable, rather than on the first request
  const api = await startApiServer(port);
  console.log(`MiraDigitalZen Publisher (local) — API on ${api.url}`);
  for (const route of routes) console.log(`  ${route.method.padEnd(6)} ${api.url}${route.path}  (${route.access})`);
  console.log('Press Ctrl-C to stop.');

  const stop = (signal: string) => {
    console.log(`\n${signal}: stopping…`);
    api.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => {
    stop('SIGINT');
  });
  process.once('SIGTERM', () => {
    stop('SIGTERM');
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
