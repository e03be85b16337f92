// The Lambda floor: a no-op ESM handler, packaged as the function is (dist/aws.js beside a package.json
// of type module, alone in an empty folder) and loaded by the same invoker, answering a fixed small
// AdmissionReview as Lambda proxy output.
const body = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  response: { uid: '0b5a4e5c-7d3f-4a8e-9a43-1f0c2d7e9b11', allowed: true },
});

export const handler = async () => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body,
  isBase64Encoded: false,
});
