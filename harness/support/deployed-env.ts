/**
 * What the deployments set for the runtime itself, beside the config (serverless.yml's
 * `provider.environment`, the env.yaml infra/gcp/deploy.sh writes): the attack tests and the benchmark
 * run the built entry points with it, and the deployment tests hold both files to it.
 *
 * - `--max-semi-space-size=2` bounds V8's young generation, which Node 24 otherwise grows to tens of MiB.
 * - `MALLOC_MMAP_THRESHOLD_` (glibc, which both platforms' Node runs on): a block of 32 KiB or more is
 *   mapped on its own and given back to the system when freed. Unset, glibc raises that threshold, and
 *   the one for giving back the free top of a heap, as large blocks are freed (setting it stops both),
 *   and the native memory a burst of reviews used stayed resident after it. In A/B runs of the
 *   benchmark's load, RSS after it went from 79-82 to 70-71 MiB on Node 20, and from 121-145 (median
 *   126) to 103-105 MiB on Node 24, with the same throughput. 8 KiB left 3-5 MiB less on Node 24 but cost
 *   its Lambda cold start 4.5 ms (5%), every start mapping more blocks; at 32 KiB that cost is 1.6 ms,
 *   within the noise. Each allocation over the threshold is two system calls (a 64 KiB read buffer of a
 *   large body, among them): a 4 MiB review one at a time took 94-98 ms without it, 100-104 with it.
 */
export const DEPLOYED_RUNTIME_ENV = {
  NODE_OPTIONS: '--max-semi-space-size=2',
  MALLOC_MMAP_THRESHOLD_: '32768',
} as const;
