import { configFromEnv } from '../config/from-env.ts';
import { createHandler, type HttpRequest, type HttpResponse } from './handle.ts';

/**
 * The webhook as both functions run it, configured from the environment: the config source
 * (lib/config/from-env.ts) and OUTRIGGER_REVISION, the `istio.io/rev` this deployment serves.
 */
export function handlerFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): (req: HttpRequest) => Promise<HttpResponse> {
  return createHandler({ revision: env.OUTRIGGER_REVISION ?? '', config: configFromEnv(env) });
}
