import type { JsonObject } from '../json.ts';

/**
 * The parts of a Pod the injector reads, typed loosely: pods arrive as untrusted JSON, so every field
 * may be missing, and unknown fields must survive untouched.
 */
export interface ObjectMeta extends JsonObject {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference extends JsonObject {
  apiVersion: string;
  kind: string;
  name: string;
  controller?: boolean;
}

export interface Container extends JsonObject {
  name: string;
}

export interface PodSpec extends JsonObject {
  containers?: Container[];
  initContainers?: Container[];
  hostNetwork?: boolean;
}

export interface Pod extends JsonObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: PodSpec;
}
