// The Cloud Storage client as an ES module of our own: see ./s3.ts for why the lazy chunk goes through a
// static import (this SDK ships ESM today; the façade keeps it so if it ever ships CommonJS only).
export { Storage } from '@google-cloud/storage';
