// Writes infra/default.bundle.json from the editable profiles in infra/istio/<name>/. The test suite checks the
// two agree, so an edit to a template cannot ship without re-embedding.
import { writeFileSync } from 'node:fs';
import { defaultBundleJson } from '../lib/config/embed.ts';

writeFileSync(new URL('../infra/default.bundle.json', import.meta.url), defaultBundleJson());
