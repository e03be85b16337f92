import { MAX_BODY_BYTES } from './handle.ts';

/**
 * Request-body bytes one instance holds at once, across every request being read or answered: four
 * bodies at the 6 MiB limit. A 256 MiB instance idles at about 70 MiB, and a parsed review costs a few
 * times its bytes, so this keeps the worst case inside the instance; a review is typically under 20 KiB,
 * so thousands of ordinary ones fit.
 */
export const INFLIGHT_BODY_BYTES = 4 * MAX_BODY_BYTES;

/** The share of that one cluster may hold, so one cluster's bodies cannot lock the others out. */
export const CLUSTER_BODY_BYTES = 2 * MAX_BODY_BYTES;

/** What a busy instance tells the caller to wait before retrying (Retry-After, seconds). */
export const BUSY_RETRY_AFTER_SECONDS = 1;

/**
 * Bytes of request bodies held in memory right now, in total and per cluster. A request takes its bytes
 * before it reads them (its Content-Length, or each chunk as it arrives) and gives them back once it is
 * answered or gone; a take that would pass either limit is refused and takes nothing.
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
