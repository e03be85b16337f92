import type { InjectorConfig } from './compile.ts';
import { loadLocalConfig } from './static-config.ts';

/**
 * The config source of a running function: OUTRIGGER_CONFIG, comma-separated bundle paths layered in
 * order over the embedded default. Returns the per-request lookup (the cluster id comes from the URL).
 */
export function configFromEnv(env: NodeJS.ProcessEnv): (cluster: string) => Promise<InjectorConfig> {
  const paths = (env.OUTRIGGER_CONFIG ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  // Loaded at module initialisation, so a cold start pays for template parsing once and a bad bundle
  // fails the deployment loudly instead of every request.
  const config = loadLocalConfig(paths);
  return async () => config;
}
