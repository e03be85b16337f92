// The part of autocannon's programmatic API the benchmarks and the soak test use (it ships no types).
declare module 'autocannon' {
  interface Stat {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
    p99_9: number;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    amount?: number;
    timeout?: number;
    pipelining?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    expectBody?: string;
    sampleInt?: number;
    requests?: {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      setupRequest?: (req: RequestData, context: Record<string, unknown>) => RequestData;
    }[];
  }
  interface RequestData {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  }
  interface Result {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
    mismatches: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Stat & { totalCount: number };
    requests: Stat & { sent: number };
    throughput: Stat;
  }
  interface Instance extends PromiseLike<Result> {
    stop(): void;
    on(event: 'tick', listener: (counter: { counter: number; bytes: number }) => void): this;
    on(
      event: 'response',
      listener: (client: object, statusCode: number, resBytes: number, responseTime: number) => void,
    ): this;
  }
  function autocannon(opts: Options): Instance & Promise<Result>;
  export default autocannon;
}
