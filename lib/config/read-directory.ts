import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { yamlProblem } from '../errors.ts';
import { configError, type PartialBundle, validateBundle } from './bundle.ts';
import { parseBundleDocument } from './parse.ts';

/**
 * Reads a bundle kept as a directory, the form people edit: `config.yaml` (policy, selectors, ...),
 * `templates/<name>.liquid`, `values.yaml` and `mesh.yaml`, each optional. Files win over the same
 * fields in config.yaml.
 */
export function readBundleDirectory(dir: string): PartialBundle {
  const configPath = join(dir, 'config.yaml');
  const bundle: PartialBundle = existsSync(configPath)
    ? parseBundleDocument(readFileSync(configPath, 'utf8'), configPath)
    : {};

  const templatesDir = join(dir, 'templates');
  if (existsSync(templatesDir)) {
    const templates: Record<string, string> = { ...bundle.templates };
    for (const file of readdirSync(templatesDir).sort()) {
      if (file.endsWith('.liquid')) {
        templates[file.slice(0, -'.liquid'.length)] = readFileSync(join(templatesDir, file), 'utf8');
      }
    }
    bundle.templates = templates;
  }

  // `import --allow-custom` leaves a template it could not port as Go source in go-templates/: the bundle
  // must not load without it (it would serve the stock template in its place) until it is ported.
  const goDir = join(dir, 'go-templates');
  if (existsSync(goDir)) {
    const unported = readdirSync(goDir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -'.yaml'.length))
      .filter((name) => !Object.hasOwn(bundle.templates ?? {}, name))
      .sort();
    if (unported.length) {
      throw configError(
        dir,
        'go-templates',
        `${unported.map((n) => `template ${n} is not ported yet: port go-templates/${n}.yaml to Liquid as templates/${n}.liquid`).join('; ')}`,
      );
    }
  }

  for (const part of ['values', 'mesh'] as const) {
    const path = join(dir, `${part}.yaml`);
    if (!existsSync(path)) continue;
    let doc: unknown;
    try {
      doc = yaml.load(readFileSync(path, 'utf8'), { filename: path });
    } catch (err) {
      throw configError(path, part, `not YAML: ${yamlProblem(err)}`);
    }
    Object.assign(bundle, validateBundle({ [part]: doc ?? {} }, path));
  }
  return bundle;
}

/** A path names a bundle file or a bundle directory. */
export function readBundlePath(path: string): PartialBundle {
  return statSync(path).isDirectory()
    ? readBundleDirectory(path)
    : parseBundleDocument(readFileSync(path, 'utf8'), path);
}
