import { MAX_PARSE_BYTES } from './handle.ts';

/**
 * Memory one instance lets request bodies hold at once: the bytes of a body while it is read, then, once
 * it has arrived, what it will parse into (parseCost, lib/admission/parse-cost.ts) until it is answered.
 * A 256 MiB instance idles at about 70 MiB (heap about 20); this leaves room for the answers being built.
 * A typical review is charged under 1 MiB, so many fit; the largest real pods (3 MiB, 2,000 containers)
 * are charged about 31 MiB.
 */
export const INFLIGHT_BODY_BYTES = 96 * 1024 * 1024;

/**
 * The share one cluster may hold: one review at the parse limit. Any two clusters together hold at most
 * 80 of the 96 MiB, so the others always have room.
 */
export const CLUSTER_BODY_BYTES = MAX_PARSE_BYTES;

/** What a busy instance tells the caller to wait before retrying (Retry-After, seconds). */
export const BUSY_RETRY_AFTER_SECONDS = 1;

/**
 * Memory held by request bodies right now, in total and per cluster. A request takes each chunk's bytes
 * as it arrives (not its Content-Length: headers alone hold nothing), then what its body will parse into,
 * and gives it all back once it is answered or gone; a take that would pass either limit is refused and
 * takes nothing.
 */
export class BodyBudget {
  #used = 0;
  readonly #byCluster = new Map<string, number>();

  constructor(
    readonly limitBytes = INFLIGHT_BODY_BYTES,
    readonly clusterLimitBytes = CLUSTER_BODY_BYTES,
  ) {}

  get usedBytes(): number {
    return this.#used;
  }

  take(cluster: string, bytes: number): boolean {
    const mine = this.#byCluster.get(cluster) ?? 0;
    if (this.#used + bytes > this.limitBytes || mine + bytes > this.clusterLimitBytes) return false;
    this.#used += bytes;
    this.#byCluster.set(cluster, mine + bytes);
    return true;
  }

  give(cluster: string, bytes: number): void {
    const left = (this.#byCluster.get(cluster) ?? 0) - bytes;
    if (left > 0) this.#byCluster.set(cluster, left);
    else this.#byCluster.delete(cluster);
    this.#used -= bytes;
  }
}
