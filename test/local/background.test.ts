import { Background, scheduledEvent, type Invoke } from '../../local/background';
import type { ScheduleSpec } from '../../shared/routes';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const everyFiveMinutes: ScheduleSpec = { name: 'health-sweep', fn: 'getHealth', rateMinutes: 5, description: 'test schedule' };
const everyMinute: ScheduleSpec = { name: 'health-tick', fn: 'getHealth', rateMinutes: 1, description: 'test schedule' };

/** A promise the test settles by hand. */
function deferred() {
  let resolve: (value: unknown) => void = () => undefined;
  const promise = new Promise<unknown>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Lets pending promise callbacks run (works under real and fake timers alike). */
async function flushPromises(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

function setup(options: { invoke?: Invoke; schedules?: readonly ScheduleSpec[] } = {}) {
  const invoke = jest.fn<ReturnType<Invoke>, Parameters<Invoke>>(options.invoke ?? (() => Promise.resolve(undefined)));
  const log = jest.fn<undefined, [string]>();
  const background = new Background({ invoke, schedules: options.schedules ?? [], retryDelaysMs: [10, 20], log });
  const lines = () => log.mock.calls.map(([line]) => line);
  return { invoke, log, lines, background };
}

afterEach(() => {
  jest.useRealTimers();
});

describe('Background.invokeAsync', () => {
  it('returns an invocation id at once, before the work finishes, and runs the work in the background', async () => {
    const work = deferred();
    let finished = false;
    const { invoke, background } = setup({
      invoke: async () => {
        await work.promise;
        finished = true;
      },
    });

    const id = background.invokeAsync('getHealth', { hello: 'world' });

    expect(id).toMatch(uuid);
    expect(invoke).toHaveBeenCalledWith('getHealth', { hello: 'world' });
    expect(finished).toBe(false);

    let idle = false;
    const waiting = background.idle().then(() => {
      idle = true;
    });
    await flushPromises();
    expect(idle).toBe(false);

    work.resolve(undefined);
    await waiting;
    expect(finished).toBe(true);
    expect(invoke).toHaveBeenCalledTimes(1);
  });

  it('gives every invocation its own id', () => {
    const { background } = setup();
    expect(background.invokeAsync('getHealth', {})).not.toBe(background.invokeAsync('getHealth', {}));
  });

  it('retries a failing invocation exactly twice, then gives up, logging each retry and the final failure', async () => {
    const { invoke, lines, background } = setup({ invoke: () => Promise.reject(new Error('boom')) });
    const event = { n: 1 };

    const id = background.invokeAsync('getHealth', event);
    await background.idle();

    expect(invoke).toHaveBeenCalledTimes(3);
    for (const call of invoke.mock.calls) expect(call).toEqual(['getHealth', event]);
    expect(lines()).toEqual([
      `[local] async getHealth ${id} failed (boom); retrying in 10 ms`,
      `[local] async getHealth ${id} failed (boom); retrying in 20 ms`,
      `[local] async getHealth ${id} failed for good: boom`,
    ]);
  });

  it('logs a non-Error rejection as an unknown error', async () => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the case under test
    const { lines, background } = setup({ invoke: () => Promise.reject('not an Error') });
    const id = background.invokeAsync('getHealth', {});
    await background.idle();
    expect(lines().at(-1)).toBe(`[local] async getHealth ${id} failed for good: unknown error`);
  });

  it('stops retrying once an attempt succeeds (success on the 2nd attempt: 2 calls, one retry logged)', async () => {
    const { invoke, lines, background } = setup();
    invoke.mockRejectedValueOnce(new Error('flaky')).mockResolvedValueOnce('ok');

    const id = background.invokeAsync('getHealth', {});
    await background.idle();

    expect(invoke).toHaveBeenCalledTimes(2);
    expect(lines()).toEqual([`[local] async getHealth ${id} failed (flaky); retrying in 10 ms`]);
  });

  it('waits for the retry delay before trying again', async () => {
    jest.useFakeTimers();
    const { invoke, background } = setup();
    invoke.mockRejectedValueOnce(new Error('flaky'));

    background.invokeAsync('getHealth', {});
    await flushPromises();
    expect(invoke).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(9);
    expect(invoke).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(invoke).toHaveBeenCalledTimes(2);
    await background.idle();
  });
});

describe('Background.trigger and scheduledEvent', () => {
  it('runs the schedule’s function with an EventBridge "Scheduled Event" and returns true', async () => {
    jest.useFakeTimers({ now: new Date('2026-03-04T05:06:07.890Z') });
    const { invoke, background } = setup({ schedules: [everyMinute, everyFiveMinutes] });

    expect(background.trigger('health-sweep')).toBe(true);
    await background.idle();

    expect(invoke).toHaveBeenCalledTimes(1);
    const [fn, event] = invoke.mock.calls[0] ?? [];
    expect(fn).toBe('getHealth');
    expect(event).toEqual({
      version: '0',
      id: expect.stringMatching(uuid),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: '2026-03-04T05:06:07Z',
      region: 'local',
      resources: ['arn:aws:events:local:000000000000:rule/health-sweep'],
      detail: {},
    });
  });

  it('returns false for an unknown schedule name and invokes nothing', async () => {
    const { invoke, background } = setup({ schedules: [everyFiveMinutes] });
    expect(background.trigger('no-such-schedule')).toBe(false);
    await background.idle();
    expect(invoke).not.toHaveBeenCalled();
  });

  it('stamps the event with the given time in ISO form without milliseconds and a fresh id each time', () => {
    const at = new Date('2026-11-29T23:59:59.999Z');
    const first = scheduledEvent(everyFiveMinutes, at);
    const second = scheduledEvent(everyFiveMinutes, at);
    expect(first.time).toBe('2026-11-29T23:59:59Z');
    expect(first.resources).toEqual(['arn:aws:events:local:000000000000:rule/health-sweep']);
    expect(first.id).toMatch(uuid);
    expect(second.id).not.toBe(first.id);
  });

  it('uses the current time when none is given', () => {
    expect(scheduledEvent(everyFiveMinutes).time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });
});

describe('Background schedules', () => {
  it('fires each schedule on its own rate once started', async () => {
    jest.useFakeTimers();
    const { invoke, background } = setup({ schedules: [everyFiveMinutes, everyMinute] });
    const fired = (name: string) =>
      invoke.mock.calls.filter(([, event]) => JSON.stringify(event).includes(`rule/${name}"`)).length;

    background.startSchedules();
    await jest.advanceTimersByTimeAsync(everyFiveMinutes.rateMinutes * 60_000 - 1);
    expect(fired('health-sweep')).toBe(0);
    expect(fired('health-tick')).toBe(4);

    await jest.advanceTimersByTimeAsync(1);
    expect(fired('health-sweep')).toBe(1);
    expect(fired('health-tick')).toBe(5);
    expect(invoke).toHaveBeenLastCalledWith('getHealth', expect.objectContaining({ 'detail-type': 'Scheduled Event', source: 'aws.events' }));

    await jest.advanceTimersByTimeAsync(everyFiveMinutes.rateMinutes * 60_000);
    expect(fired('health-sweep')).toBe(2);
    expect(fired('health-tick')).toBe(10);
    await background.stop();
  });

  it('does not fire before startSchedules is called', async () => {
    jest.useFakeTimers();
    const { invoke } = setup({ schedules: [everyMinute] });
    await jest.advanceTimersByTimeAsync(10 * 60_000);
    expect(invoke).not.toHaveBeenCalled();
  });

  it('stop() clears the timers and resolves only after running work has finished', async () => {
    jest.useFakeTimers();
    const work = deferred();
    const { invoke, background } = setup({ schedules: [everyFiveMinutes], invoke: () => work.promise });

    background.startSchedules();
    expect(jest.getTimerCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(everyFiveMinutes.rateMinutes * 60_000);
    expect(invoke).toHaveBeenCalledTimes(1);

    let stopped = false;
    const stopping = background.stop().then(() => {
      stopped = true;
    });
    await flushPromises();
    expect(stopped).toBe(false);
    expect(jest.getTimerCount()).toBe(0);

    work.resolve(undefined);
    await stopping;
    expect(stopped).toBe(true);

    await jest.advanceTimersByTimeAsync(10 * everyFiveMinutes.rateMinutes * 60_000);
    expect(invoke).toHaveBeenCalledTimes(1);
  });

  it('stop() gives up a failing invocation instead of retrying it to the end', async () => {
    const { invoke, lines, background } = setup({ invoke: () => Promise.reject(new Error('down')) });
    const id = background.invokeAsync('getHealth', {});
    await background.stop();
    expect(invoke.mock.calls.length).toBeLessThan(3);
    expect(lines().at(-1)).toBe(`[local] async getHealth ${id} failed for good: down`);
  });
});
