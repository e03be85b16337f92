import { handlerFromEnv } from '../lib/http/from-env.ts';
import { LAMBDA_MAX_PATCH_BYTES, lambdaHandler } from '../lib/http/lambda.ts';

/**
 * AWS Lambda: Function URLs and API Gateway HTTP APIs (payload 2.0) and REST APIs (payload 1.0). The
 * config is loaded and its templates parsed here, at module load, so only a cold start pays for it.
 */
export const handler = lambdaHandler(
  handlerFromEnv({ metrics: 'emf', maxPatchBytes: LAMBDA_MAX_PATCH_BYTES }),
);
