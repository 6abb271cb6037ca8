import { apiRoutes } from './api-routes';
import { dispatchApi } from './api';
import { authorizeRoutes } from './authorize';
import { controlRoutes } from './control-routes';
import { Controls } from './controls';
import { FaultRegistry } from './faults';
import { initialState } from './initial-state';
import { RateLimiter } from './rate-limit';
import { tagPortError } from '../../listen';
import { HostListener } from './host-listener';
import { hostRequestListener } from './server';
import { RequestLog, type ConnectionControl, type EmulatorService } from './service';
import { EmulatorStore } from './state';
import type { Dispatch } from './server';
import type { HostName, PinterestEmulator, PinterestEmulatorOptions, PinterestEmulatorUrls } from './types';
import { dispatchWww, type WwwRoute } from './www';

/**
 * A Pinterest API v5 emulator (authorize page, token endpoint, `GET /v5/user_account`, boards, sections
 * and Pins) so the product runs and is tested offline against the behaviour Pinterest's API
 * documentation describes (what it does: docs/pinterest-emulator.md). Three servers share one state,
 * one per real host: www.pinterest.com (authorize page and the `/_emulator/*` test controls),
 * api-sandbox.pinterest.com and api.pinterest.com. Sandbox and production are separate worlds: a token
 * works only on the host that issued it. Everything binds 127.0.0.1 unless told otherwise.
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
  RefuseConnectionFault,
  RequestFault,
} from './types';
export { SEED } from './seed';

function baseUrl(bind: string, port: number): string {
  return `http://${bind.includes(':') ? `[${bind}]` : bind}:${port}`;
}

async function closeAll(listeners: HostListener[]): Promise<void> {
  await Promise.all(listeners.map((l) => l.close().catch(() => undefined)));
}

interface Hosts {
  www: HostListener;
  sandbox: HostListener;
  production: HostListener;
  all: HostListener[];
}

async function openHosts(service: EmulatorService, wwwRoutes: readonly WwwRoute[], bind: string, ports: PinterestEmulatorOptions['ports']): Promise<Hosts> {
  const all: HostListener[] = [];
  const open = async (host: HostName, dispatch: Dispatch, port: number | undefined): Promise<HostListener> => {
    const listener = await tagPortError(`pinterest.${host}`, HostListener.open(hostRequestListener(service, host, dispatch), bind, port ?? 0));
    all.push(listener);
    return listener;
  };
  try {
    const www = await open('www', (req) => dispatchWww(service, wwwRoutes, req), ports?.www);
    const sandbox = await open('sandbox', (req) => dispatchApi(service, apiRoutes, req, 'sandbox'), ports?.sandbox);
    const production = await open('production', (req) => dispatchApi(service, apiRoutes, req, 'production'), ports?.production);
    return { www, sandbox, production, all };
  } catch (error) {
    await closeAll(all);
    throw error;
  }
}

function connectionControl(hosts: Hosts): ConnectionControl {
  return {
    refuse: (environment, ms) => {
      hosts[environment].refuse(ms);
    },
    restoreAll: () => {
      hosts.sandbox.restore();
      hosts.production.restore();
    },
  };
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
    // Both replaced below once the servers listen; nothing reads them before a request arrives.
    urls: { authorize: '', www: '', sandbox: '', production: '' },
    connections: { refuse: () => undefined, restoreAll: () => undefined },
  };
  const controls = new Controls(service);
  const hosts = await openHosts(service, [...authorizeRoutes, ...controlRoutes(controls)], bind, options.ports);
  service.connections = connectionControl(hosts);
  const urls: PinterestEmulatorUrls = {
    authorize: `${baseUrl(bind, hosts.www.port)}/oauth/`,
    www: baseUrl(bind, hosts.www.port),
    sandbox: `${baseUrl(bind, hosts.sandbox.port)}/v5`,
    production: `${baseUrl(bind, hosts.production.port)}/v5`,
  };
  service.urls = urls;
  return {
    urls,
    get app() {
      return structuredClone(store.state.app);
    },
    controls,
    close: async () => {
      await closeAll(hosts.all);
      store.flush();
    },
  };
}
