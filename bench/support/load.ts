import { Agent, request } from 'node:http';
import type { SegmentStream } from './segment-stream.js';

/** What the load generator measured. */
export interface LoadResult {
  events: number;
  requests: number;
  /** From the first request sent to the last response received, ms. */
  elapsedMs: number;
  /** Per-request latency, ms. */
  latencies: Float64Array;
  /** Bytes of request bodies sent. */
  bytes: number;
}

/** One HTTP POST over a keep-alive agent; resolves with the status and the body text. */
export function post(agent: Agent, url: URL | string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((ok, fail) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(body);
  });
}

/** Runs `concurrency` clients sharing one keep-alive agent until all return; resolves with the elapsed ms. */
export async function runClients(concurrency: number, client: (agent: Agent) => Promise<void>): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const t0 = performance.now();
  try {
    await Promise.all(Array.from({ length: concurrency }, () => client(agent)));
    return performance.now() - t0;
  } finally {
    agent.destroy();
  }
}

/**
 * Posts the stream to `/v1/batch` as Segment batches of `batch` events from `concurrency`
 * clients sharing one keep-alive agent. Bodies are built just before they are sent, so memory
 * stays flat. Any response other than 200 stops the run with the server's answer.
 */
export async function postBatches(opts: {
  baseUrl: string;
  writeKey: string;
  stream: SegmentStream;
  batch: number;
  concurrency: number;
  onProgress?: (events: number) => void;
}): Promise<LoadResult> {
  const url = new URL('/v1/batch', opts.baseUrl);
  const headers = { authorization: 'Basic ' + Buffer.from(opts.writeKey + ':').toString('base64'), 'content-type': 'application/json' };
  const latencies: number[] = [];
  let events = 0;
  let bytes = 0;
  let failure: Error | undefined;

  const client = async (agent: Agent) => {
    while (!failure) {
      const part = opts.stream.next(opts.batch);
      if (!part) return;
      let body = '{"batch":[';
      for (let i = 0; i < part.length; i++) body += (i ? ',' : '') + part[i]!.json;
      body += `],"sentAt":"${new Date().toISOString()}"}`;
      const t0 = performance.now();
      const res = await post(agent, url, headers, body);
      latencies.push(performance.now() - t0);
      if (res.status !== 200) {
        failure ??= new Error(`POST /v1/batch answered ${res.status} after ${events} events: ${res.text.slice(0, 500)}`);
        return;
      }
      events += part.length;
      bytes += body.length;
      opts.onProgress?.(events);
    }
  };

  const elapsedMs = await runClients(opts.concurrency, client);
  if (failure) throw failure;
  return { events, requests: latencies.length, elapsedMs, latencies: Float64Array.from(latencies), bytes };
}
