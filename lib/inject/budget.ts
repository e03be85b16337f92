import { InjectionError } from '../errors.ts';

/**
 * The time one review may take. Every stage is linear in the pod, but a pod at the API server's 3 MiB
 * limit still costs hundreds of milliseconds, and a synchronous review holds up every other request of
 * the instance. Checked between stages and by the template engine as it renders; when it runs out the
 * pod is refused with a message saying so, long before the API server's webhook timeout (10 s).
 */
export class ReviewBudget {
  private readonly deadline: number;

  constructor(
    readonly ms: number,
    private readonly now: () => number,
  ) {
    this.deadline = now() + ms;
  }

  /** Throws once the budget is spent; `stage` names where, for the message. */
  check(stage: string): void {
    if (this.isSpent()) throw this.spent(stage);
  }

  isSpent(): boolean {
    return this.now() > this.deadline;
  }

  /** What is left, for a stage that enforces its own limit (liquidjs's renderLimit); at least 1 ms. */
  remainingMs(): number {
    return Math.max(1, this.deadline - this.now());
  }

  spent(stage: string): InjectionError {
    return new InjectionError(
      'budget',
      `injection ran out of its time budget of ${this.ms} ms (${stage}); the pod is too large or complex to inject`,
    );
  }
}

/**
 * The default per review: a fifth of the API server's default webhook timeout, and about five times
 * what the largest pods measured take here (a 2.3 MiB pod of 80,000 containers: 310-380 ms).
 */
export const DEFAULT_REVIEW_BUDGET_MS = 2000;
