import packageJson from '../../package.json' with { type: 'json' };
import { DEFAULT_PROFILE, PROFILE_NAMES } from '../profile/registry.ts';

/** `outrigger version`: the package's version and the Istio release profiles it carries. */
export function versionText(): string {
  const profiles = PROFILE_NAMES.map((p) => (p === DEFAULT_PROFILE ? `${p} (default)` : p)).join(', ');
  return `outrigger ${packageJson.version}\nprofiles: ${profiles}\n`;
}
