import { loadLocalConfig } from '../config/static-config.ts';
import { createHandler, type HttpRequest, type HttpResponse } from './handle.ts';

/**
 * The webhook as both functions run it, configured from the environment:
 * OUTRIGGER_CONFIG (comma-separated bundle paths layered over the embedded default),
 * OUTRIGGER_REVISION (the `istio.io/rev` this deployment serves).
 */
export function handlerFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): (req: HttpRequest) => Promise<HttpResponse> {
  const paths = (env.OUTRIGGER_CONFIG ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  // Loaded at module initialisation, so a cold start pays for template parsing once and a bad bundle
  // fails the deployment loudly instead of every request.
  const config = loadLocalConfig(paths);
  return createHandler({
    revision: env.OUTRIGGER_REVISION ?? '',
    config: async () => config,
  });
}
