// The S3 client as an ES module of our own. A dynamic import() of the CommonJS SDK has a different shape
// under Node (named exports) and inside an esbuild chunk (everything under `default`); a static import
// here is the same in both, and this module's named exports are what the lazy chunk exports.
export { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
