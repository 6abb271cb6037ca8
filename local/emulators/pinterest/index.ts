import { apiRoutes } from './api-routes';
import { dispatchApi } from './api';
import { authorizeRoutes } from './authorize';
import { controlRoutes } from './control-routes';
import { Controls } from './controls';
import { FaultRegistry } from './faults';
import { initialState } from './initial-state';
import { RateLimiter } from './rate-limit';
import { closeHost, listenHost, type HostServer } from './server';
import { RequestLog, type EmulatorService } from './service';
import { EmulatorStore } from './state';
import type { PinterestEmulator, PinterestEmulatorOptions, PinterestEmulatorUrls } from './types';
import { dispatchWww } from './www';

/**
 * A Pinterest API v5 emulator (OAuth half: authorize page, token endpoint, `GET /v5/user_account`)
 * so the product runs and is tested offline against the behaviour documented in
 * /work/shared/pinterest/API-NOTES.md. Three servers share one state, one per real host:
 * www.pinterest.com (authorize page and the `/_emulator/*` test controls), api-sandbox.pinterest.com
 * and api.pinterest.com. Sandbox and production are separate worlds: a token works only on the
 * host that issued it. Everything binds 127.0.0.1 unless told otherwise.
 */

export type {
  AccessTier,
  ConsentMode,
  EmulatorApp,
  EmulatorControls,
  EmulatorUser,
  Fault,
  HostName,
  IssuedTokens,
  LoggedRequest,
  PinterestEmulator,
  PinterestEmulatorOptions,
  PinterestEmulatorUrls,
  PinterestEnvironment,
} from './types';

function baseUrl(bind: string, port: number): string {
  return `http://${bind.includes(':') ? `[${bind}]` : bind}:${port}`;
}

async function closeAll(servers: HostServer[]): Promise<void> {
  await Promise.all(servers.map((s) => closeHost(s).catch(() => undefined)));
}

export async function startPinterestEmulator(options: PinterestEmulatorOptions = {}): Promise<PinterestEmulator> {
  const bind = options.host ?? '127.0.0.1';
  const store = new EmulatorStore(options.dataFile, (stored) => initialState(options, stored));
  const service: EmulatorService = {
    store,
    faults: new FaultRegistry(),
    limiter: new RateLimiter(),
    log: new RequestLog(),
    clock: options.clock ?? ((): Date => new Date()),
    // Replaced below once the ports are known; nothing reads it before a request arrives.
    urls: { authorize: '', www: '', sandbox: '', production: '' },
  };
  const controls = new Controls(service);
  const wwwRoutes = [...authorizeRoutes, ...controlRoutes(controls)];
  const servers: HostServer[] = [];
  try {
    const www = await listenHost(service, 'www', (req) => dispatchWww(service, wwwRoutes, req), bind, options.ports?.www ?? 0);
    servers.push(www);
    const sandbox = await listenHost(service, 'sandbox', (req) => dispatchApi(service, apiRoutes, req, 'sandbox'), bind, options.ports?.sandbox ?? 0);
    servers.push(sandbox);
    const production = await listenHost(service, 'production', (req) => dispatchApi(service, apiRoutes, req, 'production'), bind, options.ports?.production ?? 0);
    servers.push(production);
    const urls: PinterestEmulatorUrls = {
      authorize: `${baseUrl(bind, www.port)}/oauth/`,
      www: baseUrl(bind, www.port),
      sandbox: `${baseUrl(bind, sandbox.port)}/v5`,
      production: `${baseUrl(bind, production.port)}/v5`,
    };
    service.urls = urls;
    return {
      urls,
      get app() {
        return structuredClone(store.state.app);
      },
      controls,
      close: async () => {
        await closeAll(servers);
        store.flush();
      },
    };
  } catch (error) {
    await closeAll(servers);
    throw error;
  }
}
