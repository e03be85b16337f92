import { MAX_PARSE_BYTES } from './handle.ts';

/**
 * Memory one instance lets request bodies hold at once: the bytes of a body while it is read, then, once
 * it has arrived, what it will parse into (parseCost, lib/admission/parse-cost.ts) until it is answered.
 * A 256 MiB instance idles at 60-80 MiB of RSS on Node 24; a parsed review and the work on it take up to
 * about twice its estimate again, so this keeps the worst case inside the instance. A typical review is
 * charged under 1 MiB, so many fit; the largest real pods (3 MiB, 2,000 containers) about 34 MiB.
 */
export const INFLIGHT_BODY_BYTES = 64 * 1024 * 1024;

/** The share one cluster may hold: one review at the parse limit. */
export const CLUSTER_BODY_BYTES = MAX_PARSE_BYTES;

/** What any two clusters may hold together, so the others always have 16 MiB. */
export const PAIR_BODY_BYTES = 48 * 1024 * 1024;

/** What a busy instance tells the caller to wait before retrying (Retry-After, seconds). */
export const BUSY_RETRY_AFTER_SECONDS = 1;

/**
 * Memory held by request bodies right now, in total and per cluster. A request takes each chunk's bytes
 * as it arrives (not its Content-Length: headers alone hold nothing), then what its body will parse into,
 * and gives it all back once it is answered or gone; a take that would pass the instance's limit, the
 * cluster's, or that of the cluster together with the one holding most besides it, is refused and takes
 * nothing.
 */
export class BodyBudget {
  #used = 0;
  readonly #byCluster = new Map<string, number>();

  constructor(
    readonly limitBytes = INFLIGHT_BODY_BYTES,
    readonly clusterLimitBytes = CLUSTER_BODY_BYTES,
    readonly pairLimitBytes = PAIR_BODY_BYTES,
  ) {}

  get usedBytes(): number {
    return this.#used;
  }

  take(cluster: string, bytes: number): boolean {
    const mine = this.#byCluster.get(cluster) ?? 0;
    if (this.#used + bytes > this.limitBytes || mine + bytes > this.clusterLimitBytes) return false;
    if (mine + bytes + this.#largestBesides(cluster) > this.pairLimitBytes) return false;
    this.#used += bytes;
    this.#byCluster.set(cluster, mine + bytes);
    return true;
  }

  #largestBesides(cluster: string): number {
    let largest = 0;
    for (const [other, held] of this.#byCluster) if (other !== cluster && held > largest) largest = held;
    return largest;
  }

  give(cluster: string, bytes: number): void {
    const left = (this.#byCluster.get(cluster) ?? 0) - bytes;
    if (left > 0) this.#byCluster.set(cluster, left);
    else this.#byCluster.delete(cluster);
    this.#used -= bytes;
  }
}
