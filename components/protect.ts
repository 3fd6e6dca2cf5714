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

/**
 * Resource types whose name or path the program sets and the service keeps unique. Pulumi replaces a
 * resource by creating the new one first, which for these fails on the name still in use; they are
 * replaced delete-first instead (https://www.pulumi.com/docs/iac/concepts/options/deletebeforereplace).
 * (A Secrets Manager name stays taken for the old secret's recovery window even then: docs/operations.md.)
 */
export const NAMED_TYPES: ReadonlyMap<string, string> = new Map([
  ["aws:cloudwatch/logGroup:LogGroup", "name"],
  ["aws:kinesis/stream:Stream", "name"],
  ["aws:kms/alias:Alias", "name"],
  ["aws:lambda/function:Function", "name"],
  ["aws:msk/topic:Topic", "name"],
  ["aws:mskconnect/connector:Connector", "name"],
  ["aws:mwaa/environment:Environment", "name"],
  ["aws:secretsmanager/secret:Secret", "name"],
  ["aws:apigateway/model:Model", "name"],
  ["databricks:index/directory:Directory", "path"],
  ["databricks:index/notebook:Notebook", "path"],
  ["databricks:index/workspaceFile:WorkspaceFile", "path"],
]);

/** A transformation replacing the hard-named resources delete-first. */
export const replaceNamedDeleteFirst: pulumi.ResourceTransformation = ({ type, props, opts }) => {
  const key = NAMED_TYPES.get(type);
  return key !== undefined && props[key] !== undefined
    ? { props, opts: pulumi.mergeOptions(opts, { deleteBeforeReplace: true }) }
    : undefined;
};

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
