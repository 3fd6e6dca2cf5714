/**
 * Pulumi mocks that stand in for the AWS and Databricks control planes, shared by the offline synth and the
 * unit tests. `RecordingMocks` answers every resource with realistic, deterministic ids, ARNs and names
 * (a hash of type and name, so two runs give the same graph) and records what the program asked for.
 * An invoke it does not know throws "Mock not implemented: <token>" rather than answering something vague.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

export const MOCK_ACCOUNT_ID = "123456789012";
export const SECRET_PLACEHOLDER = "[secret]";
/** The Databricks workspace the mocked provider is configured for. */
/** The fixed "now" of mocked resources that record a creation time. */
export const MOCK_NOW = "2027-01-01T00:00:00Z";
export const MOCK_DATABRICKS_HOST = "https://dbc-0a1b2c3d-4e5f.cloud.databricks.com";

export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  /** URN of the parent, or null for a resource at the top of the program. */
  parent: string | null;
  custom: boolean;
  id: string | undefined;
  /** Inputs as the program passed them, secrets replaced by "[secret]". */
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
  /** The resource options the engine was sent that change how it is created, updated or deleted. */
  options: RecordedOptions;
  /** A remote component's mocked outputs (what its plugin would answer); absent for every other resource. */
  outputs?: Record<string, unknown>;
}

/**
 * Resource options as the engine receives them, only those set: `dependsOn` holds the explicit ordering
 * (dependencies the inputs do not already carry), `provider` an explicit provider.
 */
export interface RecordedOptions {
  protect?: true;
  retainOnDelete?: true;
  deleteBeforeReplace?: true;
  ignoreChanges?: string[];
  dependsOn?: string[];
  provider?: string;
  /** URNs the resource was known by before (its aliases, resolved as the engine resolves them). */
  aliases?: string[];
}

export interface RecordedInvoke {
  token: string;
  inputs: Record<string, unknown>;
}

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Replaces each secret (as the mock monitor hands it over) with the placeholder, recursively. */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[SIG_KEY] === SECRET_SIG) return SECRET_PLACEHOLDER;
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, maskSecrets(v)]));
  }
  return value;
}

function hex(seed: string, length: number): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, length);
}

function uuid(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Physical name the provider would auto-generate: the logical name plus a random-looking suffix. */
function autoName(name: string, seed: string, explicit: unknown): string {
  return typeof explicit === "string" && explicit.length > 0 ? explicit : `${name}-${hex(seed, 7)}`;
}

type StateFactory = (
  name: string,
  inputs: Record<string, unknown>,
  ctx: { region: string; account: string; seed: string },
) => { id: string; state: Record<string, unknown> };

const ec2Id =
  (prefix: string, arnKind?: string): StateFactory =>
  (_name, _inputs, { region, account, seed }) => {
    const id = `${prefix}-${hex(seed, 17)}`;
    return { id, state: arnKind ? { arn: `arn:aws:ec2:${region}:${account}:${arnKind}/${id}` } : {} };
  };

/**
 * Outputs of remote components: a multi-language component runs in its provider's plugin, so under mocks the
 * engine hands the whole component to `newResource` and its children are never created. These answer what
 * the program reads, shaped by the component's documented outputs.
 */
const COMPONENT_FACTORIES: Record<string, StateFactory> = {
  // awsx's ec2.Vpc (https://www.pulumi.com/registry/packages/awsx/api-docs/ec2/vpc/): one subnet of each
  // spec per AZ, ids in AZ order; the AZ count is numberOfAvailabilityZones (default 3) or, with explicit
  // layouts, the length of each spec's cidrBlocks.
  "awsx:ec2:Vpc": (_name, inputs, { seed }) => {
    type Spec = { type: string; cidrBlocks?: string[] };
    const specs = (inputs.subnetSpecs as Spec[] | undefined) ?? [{ type: "Private" }, { type: "Public" }];
    const zones = Number(inputs.numberOfAvailabilityZones ?? specs[0]?.cidrBlocks?.length ?? 3);
    const ids = (type: string) =>
      specs
        .filter((s) => s.type === type)
        .flatMap((_, i) =>
          Array.from({ length: zones }, (_z, az) => `subnet-${hex(`${seed}/${type}/${i}/${az}`, 17)}`),
        );
    return {
      id: "",
      state: {
        vpcId: `vpc-${hex(seed, 17)}`,
        privateSubnetIds: ids("Private"),
        publicSubnetIds: ids("Public"),
        isolatedSubnetIds: ids("Isolated"),
      },
    };
  },
};

const STATE_FACTORIES: Record<string, StateFactory> = {
  "aws:s3/bucket:Bucket": (name, inputs, { region, seed }) => {
    const bucket =
      typeof inputs.bucketPrefix === "string"
        ? `${inputs.bucketPrefix}${hex(seed, 12)}`
        : autoName(name, seed, inputs.bucket);
    return {
      id: bucket,
      state: {
        bucket,
        arn: `arn:aws:s3:::${bucket}`,
        bucketDomainName: `${bucket}.s3.amazonaws.com`,
        bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com`,
        region,
      },
    };
  },
  "aws:ec2/vpc:Vpc": (name, inputs, ctx) => {
    const { id, state } = ec2Id("vpc", "vpc")(name, inputs, ctx);
    return {
      id,
      state: {
        ...state,
        defaultSecurityGroupId: `sg-${hex(`${ctx.seed}/sg`, 17)}`,
        mainRouteTableId: `rtb-${hex(`${ctx.seed}/rtb`, 17)}`,
        ownerId: ctx.account,
      },
    };
  },
  "aws:ec2/subnet:Subnet": ec2Id("subnet", "subnet"),
  "aws:ec2/routeTable:RouteTable": ec2Id("rtb", "route-table"),
  "aws:ec2/routeTableAssociation:RouteTableAssociation": ec2Id("rtbassoc"),
  "aws:ec2/internetGateway:InternetGateway": ec2Id("igw", "internet-gateway"),
  "aws:ec2/natGateway:NatGateway": ec2Id("nat"),
  "aws:ec2/eip:Eip": (name, inputs, ctx) => {
    const { id, state } = ec2Id("eipalloc", "elastic-ip")(name, inputs, ctx);
    const last = parseInt(hex(ctx.seed, 2), 16) % 254;
    return { id, state: { ...state, allocationId: id, publicIp: `203.0.113.${last + 1}` } };
  },
  "aws:ec2/vpcEndpoint:VpcEndpoint": ec2Id("vpce", "vpc-endpoint"),
  "aws:ec2/securityGroup:SecurityGroup": ec2Id("sg", "security-group"),
  "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ec2Id("sg", "security-group"),
  "aws:ec2/flowLog:FlowLog": ec2Id("fl", "vpc-flow-log"),
  "aws:kms/key:Key": (_name, _inputs, { region, account, seed }) => {
    const keyId = uuid(seed);
    return { id: keyId, state: { keyId, arn: `arn:aws:kms:${region}:${account}:key/${keyId}` } };
  },
  "aws:kms/alias:Alias": (_name, inputs, { region, account }) => {
    const alias = String(inputs.name);
    return { id: alias, state: { arn: `arn:aws:kms:${region}:${account}:${alias}` } };
  },
  "aws:cloudwatch/logGroup:LogGroup": (name, inputs, { region, account, seed }) => {
    const groupName = autoName(name, seed, inputs.name);
    return {
      id: groupName,
      state: { name: groupName, arn: `arn:aws:logs:${region}:${account}:log-group:${groupName}` },
    };
  },
  "aws:iam/role:Role": (name, inputs, { account, seed }) => {
    const roleName = autoName(name, seed, inputs.name);
    return {
      id: roleName,
      state: {
        name: roleName,
        arn: `arn:aws:iam::${account}:role/${roleName}`,
        uniqueId: `AROA${hex(seed, 17).toUpperCase()}`,
      },
    };
  },
  "aws:msk/cluster:Cluster": (name, inputs, { region, account, seed }) => {
    const clusterName = autoName(name, seed, inputs.clusterName);
    const arn = `arn:aws:kafka:${region}:${account}:cluster/${clusterName}/${uuid(seed)}-2`;
    const count = Number(inputs.numberOfBrokerNodes ?? 2);
    const brokers = (port: number) =>
      Array.from(
        { length: count },
        (_, i) => `b-${i + 1}.${clusterName}.${hex(seed, 6)}.c2.kafka.${region}.amazonaws.com:${port}`,
      ).join(",");
    return {
      id: arn,
      state: {
        arn,
        clusterName,
        clusterUuid: `${uuid(seed)}-2`,
        bootstrapBrokersSaslIam: brokers(9098),
        bootstrapBrokersTls: brokers(9094),
        currentVersion: "K3AEGXETSR30VB",
      },
    };
  },
  "aws:msk/configuration:Configuration": (name, inputs, { region, account, seed }) => {
    const configName = autoName(name, seed, inputs.name);
    const arn = `arn:aws:kafka:${region}:${account}:configuration/${configName}/${uuid(seed)}-3`;
    return { id: arn, state: { arn, name: configName, latestRevision: 1 } };
  },
  "aws:msk/topic:Topic": (_name, inputs) => {
    const topic = String(inputs.name);
    return {
      id: `${String(inputs.clusterArn)},${topic}`,
      state: { arn: `${String(inputs.clusterArn).replace(":cluster/", ":topic/")}/${topic}` },
    };
  },
  "aws:lambda/function:Function": (name, inputs, { region, account, seed }) => {
    const functionName = autoName(name, seed, inputs.name);
    const arn = `arn:aws:lambda:${region}:${account}:function:${functionName}`;
    return {
      id: functionName,
      state: {
        name: functionName,
        arn,
        qualifiedArn: `${arn}:$LATEST`,
        invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn}/invocations`,
        version: "$LATEST",
      },
    };
  },
  "aws:apigateway/restApi:RestApi": (name, inputs, { region, account, seed }) => {
    const id = hex(seed, 10);
    return {
      id,
      state: {
        name: autoName(name, seed, inputs.name),
        rootResourceId: hex(`${seed}/root`, 10),
        executionArn: `arn:aws:execute-api:${region}:${account}:${id}`,
        arn: `arn:aws:apigateway:${region}::/restapis/${id}`,
      },
    };
  },
  "aws:apigateway/stage:Stage": (_name, inputs, { region }) => {
    const stageName = String(inputs.stageName);
    const apiId = String(inputs.restApi);
    return {
      id: `ags-${apiId}-${stageName}`,
      state: {
        invokeUrl: `https://${apiId}.execute-api.${region}.amazonaws.com/${stageName}`,
        executionArn: `arn:aws:execute-api:${region}:${MOCK_ACCOUNT_ID}:${apiId}/${stageName}`,
        arn: `arn:aws:apigateway:${region}::/restapis/${apiId}/stages/${stageName}`,
      },
    };
  },
  "aws:apigateway/apiKey:ApiKey": (_name, _inputs, { seed }) => ({
    id: hex(seed, 10),
    state: { value: hex(`${seed}/value`, 40) },
  }),
  "aws:mskconnect/customPlugin:CustomPlugin": (name, _inputs, { region, account, seed }) => ({
    id: `arn:aws:kafkaconnect:${region}:${account}:custom-plugin/${name}/${uuid(seed)}-4`,
    state: {
      arn: `arn:aws:kafkaconnect:${region}:${account}:custom-plugin/${name}/${uuid(seed)}-4`,
      latestRevision: 1,
    },
  }),
  "aws:mskconnect/workerConfiguration:WorkerConfiguration": (name, _inputs, { region, account, seed }) => ({
    id: `arn:aws:kafkaconnect:${region}:${account}:worker-configuration/${name}/${uuid(seed)}-4`,
    state: {
      arn: `arn:aws:kafkaconnect:${region}:${account}:worker-configuration/${name}/${uuid(seed)}-4`,
      latestRevision: 1,
    },
  }),
  "aws:wafv2/webAcl:WebAcl": (name, inputs, { region, account, seed }) => {
    const aclName = autoName(name, seed, inputs.name);
    const id = uuid(seed);
    return {
      id,
      state: { arn: `arn:aws:wafv2:${region}:${account}:regional/webacl/${aclName}/${id}`, capacity: 800 },
    };
  },
  "aws:sns/topic:Topic": (name, inputs, { region, account, seed }) => {
    const topicName = autoName(name, seed, inputs.name);
    const arn = `arn:aws:sns:${region}:${account}:${topicName}`;
    return { id: arn, state: { name: topicName, arn } };
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": (name, inputs, { region, account, seed }) => {
    const alarmName = autoName(name, seed, inputs.name);
    return { id: alarmName, state: { arn: `arn:aws:cloudwatch:${region}:${account}:alarm:${alarmName}` } };
  },
  "aws:cloudwatch/dashboard:Dashboard": (name, inputs, { region, account }) => {
    const dashboardName = typeof inputs.dashboardName === "string" ? inputs.dashboardName : name;
    return {
      id: dashboardName,
      state: { dashboardArn: `arn:aws:cloudwatch::${account}:dashboard/${dashboardName}`, region },
    };
  },
  "aws:mskconnect/connector:Connector": (name, inputs, { region, account, seed }) => {
    const connectorName = autoName(name, seed, inputs.name);
    const arn = `arn:aws:kafkaconnect:${region}:${account}:connector/${connectorName}/${uuid(seed)}-4`;
    return { id: arn, state: { arn, version: "1" } };
  },
  "aws:kinesis/stream:Stream": (name, inputs, { region, account, seed }) => {
    const streamName = autoName(name, seed, inputs.name);
    const arn = `arn:aws:kinesis:${region}:${account}:stream/${streamName}`;
    return { id: arn, state: { name: streamName, arn } };
  },
  "aws:iam/instanceProfile:InstanceProfile": (name, inputs, { account, seed }) => {
    const profileName = autoName(name, seed, inputs.name);
    return {
      id: profileName,
      state: {
        name: profileName,
        arn: `arn:aws:iam::${account}:instance-profile/${profileName}`,
        uniqueId: `AIPA${hex(seed, 17).toUpperCase()}`,
      },
    };
  },
  "aws:secretsmanager/secret:Secret": (name, inputs, { region, account, seed }) => {
    const secretName = autoName(name, seed, inputs.name);
    // Secrets Manager appends six random characters to every secret's ARN.
    const arn = `arn:aws:secretsmanager:${region}:${account}:secret:${secretName}-${hex(seed, 6)}`;
    return { id: arn, state: { arn, name: secretName } };
  },
  "aws:secretsmanager/secretVersion:SecretVersion": (_name, inputs, { seed }) => ({
    id: `${String(inputs.secretId)}|${uuid(seed)}`,
    state: { versionId: uuid(seed), arn: inputs.secretId },
  }),
  "aws:s3/bucketObjectv2:BucketObjectv2": (_name, inputs, { seed }) => ({
    id: String(inputs.key),
    state: { versionId: hex(seed, 32), etag: hex(`${seed}/etag`, 32) },
  }),
  "aws:mwaa/environment:Environment": (name, inputs, { region, account, seed }) => {
    const envName = autoName(name, seed, inputs.name);
    return {
      id: envName,
      state: {
        arn: `arn:aws:airflow:${region}:${account}:environment/${envName}`,
        webserverUrl: `${uuid(seed)}-vpce.c2.${region}.airflow.amazonaws.com`,
        serviceRoleArn: `arn:aws:iam::${account}:role/aws-service-role/airflow.amazonaws.com/AWSServiceRoleForAmazonMWAA`,
        status: "AVAILABLE",
      },
    };
  },
  "databricks:index/instanceProfile:InstanceProfile": (_name, inputs) => ({
    id: String(inputs.instanceProfileArn),
    state: {},
  }),
  "databricks:index/directory:Directory": (_name, inputs, { seed }) => ({
    id: String(inputs.path),
    state: { objectId: parseInt(hex(seed, 8), 16), workspacePath: `/Workspace${String(inputs.path)}` },
  }),
  "databricks:index/workspaceFile:WorkspaceFile": (_name, inputs, { seed }) => ({
    id: String(inputs.path),
    state: {
      objectId: parseInt(hex(seed, 8), 16),
      url: `${MOCK_DATABRICKS_HOST}/#workspace${String(inputs.path)}`,
      workspacePath: `/Workspace${String(inputs.path)}`,
    },
  }),
  "databricks:index/notebook:Notebook": (_name, inputs, { seed }) => ({
    id: String(inputs.path),
    state: {
      objectId: parseInt(hex(seed, 8), 16),
      url: `${MOCK_DATABRICKS_HOST}/#notebook/${parseInt(hex(seed, 8), 16)}`,
      workspacePath: `/Workspace${String(inputs.path)}`,
    },
  }),
  "databricks:index/servicePrincipal:ServicePrincipal": (_name, _inputs, { seed }) => ({
    id: String(parseInt(hex(seed, 12), 16)),
    state: { applicationId: uuid(seed), aclPrincipalId: `servicePrincipals/${uuid(seed)}` },
  }),
  // Created at MOCK_NOW; ends after its lifetime ("<seconds>s", Databricks' default 730 days).
  "databricks:index/servicePrincipalSecret:ServicePrincipalSecret": (_name, inputs, { seed }) => {
    const lifetime = typeof inputs.lifetime === "string" ? inputs.lifetime : "";
    const seconds = Number(/^(\d+)s$/.exec(lifetime)?.[1] ?? 730 * 86400);
    return {
      id: hex(seed, 16),
      state: {
        secret: `dose${hex(`${seed}/secret`, 32)}`,
        status: "ACTIVE",
        createTime: MOCK_NOW,
        expireTime: new Date(Date.parse(MOCK_NOW) + seconds * 1000).toISOString().replace(/\.000Z$/, "Z"),
      },
    };
  },
  "databricks:index/clusterPolicy:ClusterPolicy": (_name, _inputs, { seed }) => ({
    id: hex(seed, 16).toUpperCase(),
    state: { policyId: hex(seed, 16).toUpperCase() },
  }),
  "databricks:index/job:Job": (_name, _inputs, { seed }) => {
    const id = String(parseInt(hex(seed, 12), 16));
    return { id, state: { url: `${MOCK_DATABRICKS_HOST}/#job/${id}` } };
  },
  "aws:iam/rolePolicy:RolePolicy": (name, inputs, { seed }) => {
    const policyName = autoName(name, seed, inputs.name);
    return { id: `${String(inputs.role)}:${policyName}`, state: { name: policyName } };
  },
};

/** What the monitor was sent for one resource, and the URNs it has. */
interface Registration {
  /** The engine's URN (the parent's whole type chain) and its parent's. */
  urn: string;
  parent: string | null;
  options: RecordedOptions;
  aliases: AliasMessage[];
}

export class RecordingMocks implements pulumi.runtime.Mocks {
  public readonly resources: RecordedResource[] = [];
  public readonly invokes: RecordedInvoke[] = [];
  /**
   * The registration being answered: the mock monitor calls newResource synchronously inside registerResource,
   * so each record is tied to its own request (its parent, options and aliases), never matched by name.
   */
  public current: Registration | undefined;
  /** The registration behind each record (same index as `resources`). */
  public readonly registrations: Array<Registration | undefined> = [];
  /** The URNs registered so far. */
  public readonly registeredUrns = new Set<string>();
  /** URNs registered twice: the engine refuses the second (settle throws its message). */
  public readonly duplicateUrns: string[] = [];

  constructor(
    public readonly region = "eu-west-1",
    public readonly account = MOCK_ACCOUNT_ID,
  ) {}

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const inputs = (args.inputs ?? {}) as Record<string, unknown>;
    const seed = `${args.type}::${args.name}`;
    let id: string | undefined;
    let computed: Record<string, unknown> = {};
    const remote = !args.custom && COMPONENT_FACTORIES[args.type] !== undefined;
    if (args.custom) {
      const factory = STATE_FACTORIES[args.type];
      const made = factory
        ? factory(args.name, inputs, { region: this.region, account: this.account, seed })
        : { id: `${args.name}-${hex(seed, 8)}`, state: {} };
      id = made.id;
      computed = made.state;
    } else if (remote) {
      computed = COMPONENT_FACTORIES[args.type](args.name, inputs, {
        region: this.region,
        account: this.account,
        seed,
      }).state;
    }
    const state = { ...inputs, ...computed };
    this.registrations.push(this.current);
    this.resources.push({
      urn: "",
      type: args.type,
      name: args.name,
      parent: null,
      custom: args.custom ?? false,
      id,
      inputs: maskSecrets(inputs) as Record<string, unknown>,
      state,
      options: {},
      ...(remote ? { outputs: computed } : {}),
    });
    return { id, state };
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    const inputs = (args.inputs ?? {}) as Record<string, unknown>;
    this.invokes.push({ token: args.token, inputs });
    const region = this.region;
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return {
          id: this.account,
          accountId: this.account,
          arn: `arn:aws:iam::${this.account}:role/pulumi-deployer`,
          userId: "AROAEXAMPLEDEPLOYER:pulumi",
        };
      case "aws:index/getRegion:getRegion":
        return {
          id: region,
          name: region,
          region,
          description: region,
          endpoint: `ec2.${region}.amazonaws.com`,
        };
      case "aws:index/getPartition:getPartition":
        return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
      case "aws:index/getAvailabilityZones:getAvailabilityZones":
        return {
          id: region,
          region,
          names: ["a", "b", "c"].map((z) => `${region}${z}`),
          zoneIds: [1, 2, 3].map((n) => `euw1-az${n}`),
          groupNames: [region],
        };
      case "aws:ec2/getManagedPrefixList:getManagedPrefixList":
        return {
          id: `pl-${hex(String(inputs.name), 8)}`,
          name: inputs.name,
          addressFamily: "IPv4",
          maxEntries: 0,
        };
      case "aws:ec2/getVpc:getVpc": {
        const id = String(inputs.id);
        return {
          id,
          arn: `arn:aws:ec2:${region}:${this.account}:vpc/${id}`,
          cidrBlock: "10.0.0.0/16",
          ownerId: this.account,
          state: "available",
        };
      }
      case "databricks:index/getCurrentUser:getCurrentUser":
        // The deploying service principal.
        return {
          id: "7001",
          aclPrincipalId: "servicePrincipals/00000000-0000-4000-8000-00000000d3b1",
          userName: "00000000-0000-4000-8000-00000000d3b1",
          alphanumeric: "deployer",
          home: "/Users/00000000-0000-4000-8000-00000000d3b1",
          repos: "/Repos/00000000-0000-4000-8000-00000000d3b1",
          externalId: "",
          workspaceUrl: MOCK_DATABRICKS_HOST,
        };
      case "databricks:index/getCurrentConfig:getCurrentConfig":
        return {
          id: MOCK_DATABRICKS_HOST,
          host: MOCK_DATABRICKS_HOST,
          accountId: "",
          authType: "oauth-m2m",
          cloudType: "aws",
          isAccount: false,
        };
      default:
        throw new Error(`Mock not implemented: ${args.token}`);
    }
  }

  /** Resources of one type, in registration order. */
  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getIgnorechangesList(): string[];
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(f: (deps: { getUrnsList(): string[] }) => void): void };
  getProvider(): string;
  getAliasesList(): AliasMessage[];
}

/** Pulumi's Alias message: a URN, or a spec the engine resolves against the resource. */
interface AliasMessage {
  getUrn(): string;
  getSpec():
    | {
        getName(): string;
        getType(): string;
        getStack(): string;
        getProject(): string;
        getParenturn(): string;
        getNoparent(): boolean;
      }
    | undefined;
}

/**
 * The URN an alias names, resolved as the engine does: the spec's name, type, stack and project, each
 * defaulting to the resource's own, under the spec's parent (its type chain joined with '$'), or none.
 * Not modelled: the engine also tries each alias under each of the parent's own aliases (inherited child
 * aliases); none of our components has aliases of its own, so nothing here needs it.
 */
export function aliasUrn(
  alias: AliasMessage,
  resource: { type: string; name: string; parent: string },
  stack: string,
  project: string,
): string {
  const spec = alias.getSpec();
  if (!spec) return alias.getUrn();
  const parent = spec.getNoparent() ? "" : spec.getParenturn() || resource.parent;
  const type = spec.getType() || resource.type;
  const name = spec.getName() || resource.name;
  return urnUnder(parent, type, name, spec.getStack() || stack, spec.getProject() || project);
}

/**
 * A URN as the engine makes it: under a parent, the parent's stack, project and whole type chain (the root
 * stack's left out) before the type (pulumi/pulumi `Deployment.generateURN`, `urn.New`; for aliases
 * sdk/go/common/resource/alias.go `CreateURN`); with none, the stack and project given.
 */
function urnUnder(parent: string, type: string, name: string, stack: string, project: string): string {
  if (!parent) return `urn:pulumi:${stack}::${project}::${type}::${name}`;
  const [head, parentProject, chain] = parent.split("::");
  return `${head}::${parentProject}::${chain}$${type}::${name}`;
}

interface MonitorWithRegister {
  registerResource(req: RegisterRequest, cb: unknown): unknown;
  newUrn(parent: string, type: string, name: string): string;
}

/**
 * The engine's URN of a registration (urnUnder). Pulumi's mock monitor keeps only the parent's own type, which
 * differs two components deep.
 */
export function engineUrn(parent: string, type: string, name: string): string {
  return urnUnder(parent, type, name, pulumi.getStack(), pulumi.getProject());
}

/** The options a registration request carries, as RecordedOptions. */
function optionsOf(req: RegisterRequest): RecordedOptions {
  const carried = new Set<string>();
  req.getPropertydependenciesMap().forEach((deps) => deps.getUrnsList().forEach((u) => carried.add(u)));
  const dependsOn = req
    .getDependenciesList()
    .filter((u) => !carried.has(u))
    .sort();
  const provider = req.getProvider();
  return {
    ...(req.getProtect() ? { protect: true as const } : {}),
    ...(req.getRetainondelete() ? { retainOnDelete: true as const } : {}),
    ...(req.getDeletebeforereplace() ? { deleteBeforeReplace: true as const } : {}),
    ...(req.getIgnorechangesList().length > 0 ? { ignoreChanges: req.getIgnorechangesList() } : {}),
    ...(dependsOn.length > 0 ? { dependsOn } : {}),
    // Default providers are named "default_<version>"; only an explicit one is worth showing.
    ...(provider && !/::default(_[\d_]+)?::/.test(provider) ? { provider: provider.split("::")[3] } : {}),
  };
}

export interface MockRunOptions {
  project?: string;
  stack?: string;
  /** Stack config, keys with their namespace ("aws:region", "pinterest-pipeline:kinesisMode"). */
  config?: Record<string, string>;
  /** Config keys whose values are secrets. */
  secretKeys?: string[];
}

/**
 * Installs fresh recording mocks (and config) for one program run. The parent of each resource is taken from
 * the mock monitor's requests, since Pulumi's Mocks interface does not pass it.
 */
export async function installMocks(options: MockRunOptions = {}): Promise<RecordingMocks> {
  const config = options.config ?? {};
  pulumi.runtime.setAllConfig(config, options.secretKeys);
  const mocks = new RecordingMocks(config["aws:region"] ?? "eu-west-1");
  await pulumi.runtime.setMocks(
    mocks,
    options.project ?? "pinterest-pipeline",
    options.stack ?? "test",
    false,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorWithRegister;
  // The program sees the URNs the engine would give (an API deployment's trigger is made of them).
  monitor.newUrn = engineUrn;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    // A second registration of one URN is the engine's error 2001 (pulumi/pulumi
    // sdk/go/common/diag/errors.go, GetDuplicateResourceURNError): recorded here, thrown by settle.
    const parent = req.getParent() || null;
    const urn = engineUrn(req.getParent(), req.getType(), req.getName());
    if (mocks.registeredUrns.has(urn)) mocks.duplicateUrns.push(urn);
    mocks.registeredUrns.add(urn);
    mocks.current = { urn, parent, options: optionsOf(req), aliases: req.getAliasesList() };
    try {
      return register(req, cb);
    } finally {
      mocks.current = undefined;
    }
  };
  return mocks;
}

/** Waits until every registration has been answered, then fills in URNs and parents of the records. */
export async function settle(mocks: RecordingMocks): Promise<RecordingMocks> {
  await pulumi.runtime.disconnect();
  if (mocks.duplicateUrns.length > 0) {
    throw new Error(
      mocks.duplicateUrns.map((u) => `Duplicate resource URN '${u}'; try giving it a unique name`).join("\n"),
    );
  }
  const stack = pulumi.getStack();
  const project = pulumi.getProject();
  mocks.resources.forEach((r, i) => {
    const reg = mocks.registrations[i];
    if (!reg) throw new Error(`no registration recorded for ${r.type} ${r.name}`);
    r.urn = reg.urn;
    r.parent = reg.parent;
    r.options = { ...reg.options };
    const self = { type: r.type, name: r.name, parent: reg.parent ?? "" };
    // (Once each: @pulumi/aws's Bucket sends its old type's alias twice.)
    const aliases = [...new Set(reg.aliases.map((a) => aliasUrn(a, self, stack, project)))].sort();
    if (aliases.length > 0) r.options.aliases = aliases;
  });
  return mocks;
}

/** The value of an Output, for assertions (one helper, used by every test). */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** Parses a JSON policy document the program produced (an Input of string in the recorded inputs). */
export function parseJson<T = unknown>(value: unknown): T {
  if (typeof value !== "string") throw new Error(`expected a JSON string, got ${JSON.stringify(value)}`);
  return JSON.parse(value) as T;
}
