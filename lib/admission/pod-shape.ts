import { InjectionError } from '../errors.ts';
import { isObject, type Json, type JsonObject } from '../json.ts';

type Scalar = 'string' | 'boolean' | 'number' | 'map' | 'stringMap';
type Shape = Scalar | { list: Fields } | Fields;
interface Fields {
  [field: string]: Shape;
}

const PROBE: Fields = { httpGet: 'map', tcpSocket: 'map', grpc: 'map', exec: 'map' };
const CONTAINER: Fields = {
  name: 'string',
  image: 'string',
  ports: { list: { name: 'string', containerPort: 'number' } },
  env: { list: { name: 'string' } },
  volumeMounts: { list: { name: 'string', mountPath: 'string' } },
  readinessProbe: PROBE,
  livenessProbe: PROBE,
  startupProbe: PROBE,
  lifecycle: { preStop: PROBE, postStart: PROBE },
  securityContext: 'map',
  resources: 'map',
};
const POD: Fields = {
  metadata: {
    name: 'string',
    generateName: 'string',
    namespace: 'string',
    labels: 'stringMap',
    annotations: 'stringMap',
    ownerReferences: {
      list: { apiVersion: 'string', kind: 'string', name: 'string', controller: 'boolean' },
    },
  },
  spec: {
    hostNetwork: 'boolean',
    serviceAccountName: 'string',
    containers: { list: CONTAINER },
    initContainers: { list: CONTAINER },
    volumes: { list: { name: 'string' } },
    imagePullSecrets: { list: { name: 'string' } },
  },
};

/**
 * The type check a typed decoder would do, for the Pod fields the injector reads: Istio decodes into Go
 * structs and so refuses `hostNetwork: "true"` or a label that is a number. Here such a pod is refused
 * with the path of the field, instead of failing deep inside (or, worse, being injected on a
 * misreading). A `null` field means absent, as in Go; a `null` list item is refused. Fields the
 * injector never reads are left to the API server.
 */
export function checkPodShape(pod: JsonObject): void {
  const problem = checkFields(pod, POD_CHECK);
  if (problem) {
    const path = `request.object${problem.at.reverse().join('')}`;
    throw new InjectionError('bad-request', `invalid AdmissionReview: ${path} ${problem.what}`);
  }
}

/**
 * What is wrong and where: `at` holds the path's segments (`.name`, `[3]`) innermost first, added on the
 * way out, so a pod that passes (every pod but a broken one) builds no path strings.
 */
interface Problem {
  at: string[];
  what: string;
}

/**
 * A shape made ready to check: a map's fields as parallel lists, read by index, and a list's items as
 * one such map, so checking a pod costs a fraction of parsing its JSON, not half as much again.
 */
type Check = Scalar | ListCheck | FieldsCheck;
interface ListCheck {
  list: FieldsCheck;
}
interface FieldsCheck {
  names: string[];
  checks: Check[];
}

function prepare(shape: Shape): Check {
  if (typeof shape === 'string') return shape;
  if (isList(shape)) return { list: prepareFields(shape.list) };
  return prepareFields(shape);
}

function prepareFields(fields: Fields): FieldsCheck {
  const names = Object.keys(fields);
  return { names, checks: names.map((n) => prepare(fields[n] as Shape)) };
}

const POD_CHECK = prepareFields(POD);

function check(value: Json, shape: ListCheck | FieldsCheck): Problem | undefined {
  if ('list' in shape) {
    if (!Array.isArray(value)) return { at: [], what: 'must be a list' };
    const item = shape.list;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      // A null item is no container (or reference) at all, not an empty one.
      const problem = isObject(v) ? checkFields(v, item) : { at: [], what: 'must be an object' };
      if (problem) {
        problem.at.push(`[${i}]`);
        return problem;
      }
    }
    return undefined;
  }
  if (!isObject(value)) return { at: [], what: 'must be a map' };
  return checkFields(value, shape);
}

function checkFields(value: JsonObject, shape: FieldsCheck): Problem | undefined {
  const { names, checks } = shape;
  for (let k = 0; k < names.length; k++) {
    const name = names[k] as string;
    const field = value[name];
    if (field === null || field === undefined) continue;
    const sub = checks[k] as Check;
    const problem = typeof sub === 'string' ? checkScalar(field, sub) : check(field, sub);
    if (problem) {
      problem.at.push(`.${name}`);
      return problem;
    }
  }
  return undefined;
}

function checkScalar(value: Json, shape: Scalar): Problem | undefined {
  switch (shape) {
    case 'string':
    case 'boolean':
      return typeof value === shape ? undefined : { at: [], what: `must be a ${shape}` };
    case 'number':
      // A containerPort written as a string is the API server's to judge; an object or list is not a port.
      return typeof value === 'number' || typeof value === 'string'
        ? undefined
        : { at: [], what: 'must be a number' };
    case 'map':
      return isObject(value) ? undefined : { at: [], what: 'must be a map' };
    case 'stringMap': {
      if (!isObject(value)) return { at: [], what: 'must be a map' };
      for (const k in value) {
        if (typeof value[k] !== 'string') return { at: [`[${JSON.stringify(k)}]`], what: 'must be a string' };
      }
      return undefined;
    }
  }
}

function isList(shape: Shape): shape is { list: Fields } {
  return typeof shape === 'object' && 'list' in shape && typeof shape.list === 'object';
}
