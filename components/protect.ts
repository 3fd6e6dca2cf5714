/**
 * What holds the pipeline's data or guards it, protected from deletion on stacks that ask for it (config
 * `protectStatefulResources`). Applied to the top-level components, whose children inherit it.
 *
 * `protect`: an operation that would delete the resource (destroy, or a replacement) fails instead; lifting
 * it is a deliberate `pulumi state unprotect`. `retainOnDelete`: if it is deleted from the stack anyway, the
 * cloud resource stays. (Pulumi's resource options, https://www.pulumi.com/docs/iac/concepts/options/protect/
 * and .../retainondelete/.)
 */
import * as pulumi from "@pulumi/pulumi";

/** Resource types whose loss is the loss of data, of the key to it, or of a credential's history. */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set([
  "aws:s3/bucket:Bucket",
  "aws:kms/key:Key",
  "aws:msk/cluster:Cluster",
  "aws:msk/topic:Topic",
  "aws:kinesis/stream:Stream",
  "aws:secretsmanager/secret:Secret",
]);

/** A transformation marking the stateful resources `protect` and `retainOnDelete`; none when disabled. */
export function protectStateful(enabled: boolean): pulumi.ResourceTransformation[] {
  if (!enabled) return [];
  return [
    ({ type, props, opts }) =>
      STATEFUL_TYPES.has(type)
        ? { props, opts: pulumi.mergeOptions(opts, { protect: true, retainOnDelete: true }) }
        : undefined,
  ];
}
