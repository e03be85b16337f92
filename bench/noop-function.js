// The framework floor: a no-op function on functions-framework, what GCP imposes before our code runs.
// Served as: node .../functions-framework/build/src/main.js --target=inject --source=bench/noop-function.js
import { http } from '@google-cloud/functions-framework';

const answer = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  response: { uid: '0b5a4e5c-7d3f-4a8e-9a43-1f0c2d7e9b11', allowed: true },
};

http('inject', (_req, res) => {
  res.json(answer);
});
