import { authFromEnv } from '../auth/from-env.ts';
import { configFromEnv, onConfigErrorFromEnv } from '../config/from-env.ts';
import { createStores, storeSettingsFromEnv } from '../config/stores.ts';
import { DEFAULT_REVIEW_BUDGET_MS } from '../inject/budget.ts';
import { type MetricsFormat, requestLogLine, startupLogLine } from '../observe/request-log.ts';
import { createHandler, type WebhookHandler } from './handle.ts';

export interface FunctionRuntime {
  metrics: MetricsFormat;
  /** Where log lines go; stdout, which both platforms collect line by line. */
  write?: (line: string) => void;
  /** The platform's limit on a response's patch, if it has one (ReviewSettings.maxPatchBytes). */
  maxPatchBytes?: number;
}

/**
 * The webhook as both functions run it, configured from the environment: the config source
 * (lib/config/from-env.ts), OUTRIGGER_REVISION (the `istio.io/rev` this deployment serves), caller
 * authentication (OUTRIGGER_AUTH, OUTRIGGER_AUTH_KEYS), the time a review may take
 * (OUTRIGGER_REVIEW_BUDGET_MS) and one log line per request. Called once at
 * module load; a bad setting throws there, so the deployment fails instead of each request.
 */
export function handlerFromEnv(
  runtime: FunctionRuntime,
  env: NodeJS.ProcessEnv = process.env,
): WebhookHandler {
  const write = runtime.write ?? ((line: string) => process.stdout.write(line));
  // One client per store for both: the caller keys may live beside the config.
  const stores = createStores(storeSettingsFromEnv(env));
  const auth = authFromEnv(env, { stores });
  if (!auth.ok) throw new Error(auth.error);
  if (auth.warning) write(startupLogLine('WARNING', auth.warning));
  return createHandler({
    revision: env.OUTRIGGER_REVISION ?? '',
    config: configFromEnv(env, { stores }),
    onConfigUnavailable: onConfigErrorFromEnv(env),
    budgetMs: reviewBudgetFromEnv(env),
    ...(runtime.maxPatchBytes !== undefined && { maxPatchBytes: runtime.maxPatchBytes }),
    authorize: auth.authorize,
    onRequest: (record) => write(requestLogLine(record, runtime.metrics)),
  });
}

/** OUTRIGGER_REVIEW_BUDGET_MS: milliseconds one review may take before the pod is refused. */
function reviewBudgetFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.OUTRIGGER_REVIEW_BUDGET_MS;
  if (raw === undefined || raw === '') return DEFAULT_REVIEW_BUDGET_MS;
  const ms = Number(raw);
  if (!(ms > 0)) throw new Error(`OUTRIGGER_REVIEW_BUDGET_MS must be milliseconds above 0, not "${raw}"`);
  return ms;
}
