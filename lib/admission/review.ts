import { InjectionError } from '../errors.ts';
import { isObject, type JsonObject } from '../json.ts';

export const V1 = 'admission.k8s.io/v1';
export const V1BETA1 = 'admission.k8s.io/v1beta1';
export type ReviewVersion = typeof V1 | typeof V1BETA1;

/** The fields of an AdmissionReview request the injector uses (v1 and v1beta1 share this shape). */
export interface AdmissionRequest {
  apiVersion: ReviewVersion;
  uid: string;
  kind: { group: string; version: string; kind: string };
  namespace: string;
  operation: string;
  object: JsonObject | undefined;
}

/**
 * Reads an AdmissionReview. Throws InjectionError('bad-request') naming the missing or wrong field; the
 * caller answers in the review's version (`versionOf`) with `allowed: false` and that message.
 */
export function decodeReview(body: unknown): AdmissionRequest {
  if (!isObject(body)) throw bad('the body is not a JSON object');
  const apiVersion = body.apiVersion;
  if (body.kind !== 'AdmissionReview') {
    throw bad(`kind is ${JSON.stringify(body.kind ?? null)}, want "AdmissionReview"`);
  }
  if (apiVersion !== V1 && apiVersion !== V1BETA1) {
    throw bad(`apiVersion ${JSON.stringify(apiVersion ?? null)} is not supported; want ${V1} or ${V1BETA1}`);
  }
  const req = body.request;
  if (!isObject(req)) throw bad('request is missing');
  if (typeof req.uid !== 'string' || req.uid === '') throw bad('request.uid is missing');
  const kind = isObject(req.kind) ? req.kind : {};
  const object = req.object;
  if (object !== undefined && object !== null && !isObject(object))
    throw bad('request.object is not an object');
  return {
    apiVersion,
    uid: req.uid,
    kind: { group: str(kind.group), version: str(kind.version), kind: str(kind.kind) },
    namespace: str(req.namespace),
    operation: str(req.operation),
    object: isObject(object) ? object : undefined,
  };
}

/** The version to answer in: the request's, or v1beta1 (as Istio does) when it cannot be read. */
export function versionOf(body: unknown): ReviewVersion {
  return isObject(body) && body.apiVersion === V1 ? V1 : V1BETA1;
}

export function uidOf(body: unknown): string {
  return isObject(body) && isObject(body.request) && typeof body.request.uid === 'string'
    ? body.request.uid
    : '';
}

/** Text known to be base64 (so it holds nothing JSON escapes): what `base64Json` makes. */
export type Base64 = string & { readonly encoding: 'base64' };

/**
 * The JSON text of `value` as UTF-8, base64-encoded: the form of an AdmissionReview's patch. A text
 * that is all ASCII (its UTF-8 as long as it is, and nearly every patch) is its own Latin-1, which btoa
 * encodes in a third of the time the round trip through a Buffer takes.
 */
export function base64Json(value: unknown): Base64 {
  const json = JSON.stringify(value);
  const base64 = Buffer.byteLength(json) === json.length ? btoa(json) : Buffer.from(json).toString('base64');
  return base64 as Base64;
}

export interface AdmissionAnswer {
  allowed: boolean;
  patch?: Base64;
  message?: string;
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

/** The AdmissionReview response; field order is fixed so the same answer is the same bytes. */
export function encodeReview(apiVersion: ReviewVersion, uid: string, a: AdmissionAnswer): JsonObject {
  const response: JsonObject = { uid, allowed: a.allowed };
  if (a.patch !== undefined) {
    response.patchType = 'JSONPatch';
    response.patch = a.patch;
  }
  if (a.message !== undefined) response.status = { metadata: {}, message: a.message };
  if (a.warnings?.length) response.warnings = a.warnings;
  if (a.auditAnnotations && Object.keys(a.auditAnnotations).length)
    response.auditAnnotations = a.auditAnnotations;
  return { apiVersion, kind: 'AdmissionReview', response };
}

function bad(message: string): InjectionError {
  return new InjectionError('bad-request', `invalid AdmissionReview: ${message}`);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * JSON.stringify of an encoded review, byte for byte, without JSON.stringify scanning the patch for
 * characters to escape: the patch is most of an answer, a base64 text has none, and scanning it cost a
 * third of answering a replica. The patch is the response's last field, the response the review's.
 */
export function reviewText(review: JsonObject): string {
  const response = review.response;
  const last = (o: object) => Object.keys(o).at(-1);
  if (
    !isObject(response) ||
    typeof response.patch !== 'string' ||
    last(review) !== 'response' ||
    last(response) !== 'patch'
  )
    return JSON.stringify(review);
  const { patch, ...rest } = response as { patch: Base64 };
  return `${JSON.stringify({ ...review, response: rest }).slice(0, -2)},"patch":"${patch}"}}`;
}
