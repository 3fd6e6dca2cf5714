/**
 * Classes of resource type that the program and the guardrails must agree on, kept in the policy pack (which
 * is deployed on its own and imports nothing from the program): the program protects and replaces by these
 * lists (components/protect.ts), the pack checks that it did.
 */

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
  ["databricks:index/clusterPolicy:ClusterPolicy", "name"],
  ["aws:wafv2/webAcl:WebAcl", "name"],
  ["aws:scheduler/schedule:Schedule", "name"],
]);
