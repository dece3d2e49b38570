/**
 * The `assert: { mqtt: … }` step (issue 6: "assert … on MQTT messages"): subscribes to a topic on a
 * node's MQTT broker (where its mappers and DeviceTwin talk, kubeedge-protocol.md §7.2), optionally
 * publishes one message once subscribed (so a request and its answer, e.g. `twin/update` and
 * `twin/update/delta`, are one step), and passes when a message whose payload matches `matches`
 * (a regular expression; any message when absent) arrives within `within` (default 10 s).
 */
import mqtt from 'mqtt';
import { errorMessage } from '@edgeproof/core';
import { durationMs, formatMs } from '../duration.ts';
import { StepFailedError } from '../errors.ts';
import type { MqttAssert } from '../scenario-types.ts';
import type { StepContext } from './step-context.ts';

const DEFAULT_WITHIN_MS = 10_000;

export function describeMqttAssert(a: MqttAssert): string {
  const what = a.matches !== undefined ? `a message matching /${a.matches}/` : 'a message';
  return `${a.node} MQTT: ${what} on ${a.topic}${a.publish ? ` after publishing to ${a.publish.topic}` : ''}`;
}

export async function mqttAssert(a: MqttAssert, ctx: StepContext, signal: AbortSignal): Promise<undefined> {
  const withinMs = durationMs(a.within, DEFAULT_WITHIN_MS);
  const pattern = a.matches !== undefined ? new RegExp(a.matches) : undefined;
  const client = await mqtt.connectAsync(ctx.bench.mqttUrl(a.node), {
    clientId: `edgeproof-run-${Math.random().toString(16).slice(2, 10)}`,
    reconnectPeriod: 0,
    connectTimeout: withinMs,
  });
  const seen: string[] = [];
  try {
    const arrived = new Promise<string>((resolve) => {
      client.on('message', (topic, payload) => {
        const text = payload.toString('utf8');
        seen.push(`${topic}: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`);
        if (pattern === undefined || pattern.test(text)) resolve(text);
      });
    });
    await client.subscribeAsync(a.topic, { qos: 1 });
    if (a.publish) {
      const payload =
        typeof a.publish.payload === 'string' ? a.publish.payload : JSON.stringify(a.publish.payload);
      await client.publishAsync(a.publish.topic, payload, { qos: 1 });
    }
    let timer: ReturnType<typeof ctx.clock.setTimeout> | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = ctx.clock.setTimeout(() => resolve('timeout'), withinMs);
      signal.addEventListener('abort', () => resolve('timeout'), { once: true });
    });
    const outcome = await Promise.race([arrived, timedOut]);
    timer?.cancel();
    if (outcome === 'timeout') {
      throw new StepFailedError(
        `${describeMqttAssert(a)} within ${formatMs(withinMs)}`,
        seen.length === 0 ? 'no message on the topic' : `only: ${seen.slice(-3).join(' | ')}`,
      );
    }
    return undefined;
  } catch (err) {
    if (err instanceof StepFailedError) throw err;
    throw new StepFailedError(describeMqttAssert(a), `the broker failed: ${errorMessage(err)}`, {
      cause: err,
    });
  } finally {
    await client.endAsync(true).catch(() => undefined);
  }
}
