import type { StoreSettings } from '../store-settings.ts';

/**
 * Settings both AWS clients share. The timeout must be an error, not the SDK's default warning, so a
 * hung store becomes a clear failure well inside the webhook's own timeout; one retry covers a dropped
 * keep-alive connection and bounds an outage's wait to two timeouts.
 */
export function awsClientOptions(endpoint: string | undefined, settings: StoreSettings) {
  return {
    endpoint,
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: settings.timeoutMs,
      requestTimeout: settings.timeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}
