/**
 * Network: the private network every compute piece of the pipeline runs in. Either creates a VPC with
 * awsx's `ec2.Vpc` (private subnets in two or three AZs, public subnets only for NAT, NAT per config, an S3
 * gateway endpoint so lake traffic never leaves AWS's network), with flow logs and a default security group
 * with no rules beside it; or adopts an existing VPC and its private subnets.
 */
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { ipv4ToInt, isPrivateCidr16to20, NatGatewayMode } from "./cidr";
import { flowLogDeliveryPolicy, serviceTrustPolicy } from "./defaults";
import { serviceRole } from "./serviceRole";

export interface NetworkArgs {
  /** CIDR block of the created VPC, /16 to /20, RFC 1918 (config `vpcCidr`). Required unless existingVpcId. */
  cidrBlock?: string;
  /** How many AZs get a private subnet, 2 or 3 (config `availabilityZoneCount`). Required unless existingVpcId. */
  availabilityZoneCount?: number;
  /** "single" (one NAT gateway, cheaper) or "per-az" (one per AZ, survives an AZ outage) (config `natGatewayMode`). Required unless existingVpcId. */
  natGatewayMode?: NatGatewayMode;
  /** Days VPC flow logs are kept in CloudWatch Logs (config `logRetentionDays`). */
  flowLogRetentionDays: pulumi.Input<number>;
  /** KMS key encrypting the flow-log group (the stack's logs key). */
  logKmsKeyArn: pulumi.Input<string>;
  /** Region of the created VPC (the stack's `aws:region`): names the S3 endpoint's service. Required unless existingVpcId. */
  region?: string;
  /** Adopt this VPC instead of creating one. Default: create. Requires existingPrivateSubnetIds. */
  existingVpcId?: string;
  /** Private subnets (two or more AZs) of the adopted VPC. Default: none. Requires existingVpcId. */
  existingPrivateSubnetIds?: string[];
  /** Tags for every resource. Default: none. */
  tags?: Record<string, string>;
}

export interface SubnetPlan {
  privateCidrs: string[];
  publicCidrs: string[];
}

/**
 * Splits the VPC block: the first three quarters hold one private subnet each (room for Lambda ENIs, MSK
 * brokers and Databricks nodes), the last quarter is cut in four small public subnets that hold only NAT.
 */
export function planSubnets(vpcCidr: string, availabilityZoneCount: number): SubnetPlan {
  if (!isPrivateCidr16to20(vpcCidr)) {
    throw new Error(`cidrBlock must be a private IPv4 CIDR block from /16 to /20, got '${vpcCidr}'`);
  }
  if (!Number.isInteger(availabilityZoneCount) || availabilityZoneCount < 2 || availabilityZoneCount > 3) {
    throw new Error(`availabilityZoneCount must be 2 or 3, got ${availabilityZoneCount}`);
  }
  const [address, bitsText] = vpcCidr.split("/");
  const base = ipv4ToInt(address.split(".").map(Number));
  const bits = Number(bitsText);
  const quarter = 2 ** (32 - bits - 2);
  const sixteenth = quarter / 4;
  const privateCidrs: string[] = [];
  const publicCidrs: string[] = [];
  for (let az = 0; az < availabilityZoneCount; az++) {
    privateCidrs.push(`${intToIpv4(base + az * quarter)}/${bits + 2}`);
    publicCidrs.push(`${intToIpv4(base + 3 * quarter + az * sixteenth)}/${bits + 4}`);
  }
  return { privateCidrs, publicCidrs };
}

/** Rejects combinations that cannot both hold (pulumi-eks style: one exact message per rule). */
export function validateNetworkArgs(args: Omit<NetworkArgs, "logKmsKeyArn" | "flowLogRetentionDays">): void {
  const adopting = args.existingVpcId !== undefined;
  if (adopting !== (args.existingPrivateSubnetIds !== undefined)) {
    throw new Error("existingVpcId and existingPrivateSubnetIds must be given together");
  }
  if (adopting) {
    for (const field of ["cidrBlock", "availabilityZoneCount", "natGatewayMode"] as const) {
      if (args[field] !== undefined) throw new Error(`existingVpcId and ${field} are mutually exclusive`);
    }
    if (args.existingPrivateSubnetIds!.length < 2) {
      throw new Error("existingPrivateSubnetIds must name subnets in at least two availability zones");
    }
    if (args.region !== undefined) throw new Error("existingVpcId and region are mutually exclusive");
  } else {
    if (args.region === undefined || args.region === "") {
      throw new Error("region is required to create a VPC (the stack's aws:region)");
    }
    for (const field of ["cidrBlock", "availabilityZoneCount", "natGatewayMode"] as const) {
      if (args[field] === undefined) throw new Error(`${field} is required to create a VPC`);
    }
  }
}

/** awsx's NAT strategy for each of our modes. */
const NAT_STRATEGY: Record<NatGatewayMode, awsx.types.enums.ec2.NatGatewayStrategy> = {
  single: "Single",
  "per-az": "OnePerAz",
};

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join(".");
}

export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  /** The same subnets one Output each: their number is known while the program runs (broker counts need it). */
  public readonly privateSubnets: pulumi.Output<string>[];
  /** CIDR block of the VPC, for security-group rules. */
  public readonly vpcCidrBlock: pulumi.Output<string>;
  /** The awsx VPC with its subnets, route tables, NAT gateways and S3 endpoint (undefined when adopting). */
  public readonly vpc?: awsx.ec2.Vpc;
  /** The VPC's flow log and its default security group, stripped of rules (undefined when adopting). */
  public readonly flowLog?: aws.ec2.FlowLog;
  public readonly defaultSecurityGroup?: aws.ec2.DefaultSecurityGroup;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pinterest-pipeline:network:Network", name, {}, opts);
    validateNetworkArgs(args);
    const tags = args.tags ?? {};

    if (args.existingVpcId !== undefined) {
      const vpc = aws.ec2.getVpcOutput({ id: args.existingVpcId }, { parent: this });
      this.vpcId = vpc.id;
      this.vpcCidrBlock = vpc.cidrBlock;
      this.privateSubnetIds = pulumi.output(args.existingPrivateSubnetIds!);
      this.privateSubnets = args.existingPrivateSubnetIds!.map((id) => pulumi.output(id));
      this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds });
      return;
    }

    const cidrBlock = args.cidrBlock!;
    const azCount = args.availabilityZoneCount!;
    const natMode = args.natGatewayMode!;
    const plan = planSubnets(cidrBlock, azCount);
    // Our own layout, as explicit CIDR blocks (awsx's "Explicit CIDR Blocks"): a private quarter per AZ, a
    // small public subnet per AZ that holds only NAT. The S3 gateway endpoint goes on every route table of
    // the VPC ("Auto" endpoint strategy), so lake traffic stays on AWS's network.
    this.vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock,
        numberOfAvailabilityZones: azCount,
        subnetStrategy: "Auto",
        subnetSpecs: [
          { type: "Private", cidrBlocks: plan.privateCidrs, tags: { tier: "private" } },
          { type: "Public", cidrBlocks: plan.publicCidrs, tags: { tier: "public" } },
        ],
        natGateways: { strategy: NAT_STRATEGY[natMode] },
        vpcEndpointStrategy: "Auto",
        vpcEndpointSpecs: [{ serviceName: `com.amazonaws.${args.region}.s3`, vpcEndpointType: "Gateway" }],
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags,
      },
      { parent: this },
    );
    const vpcId = this.vpc.vpcId;

    // Adopting the default security group with no rules strips AWS's allow-all-within-group default.
    this.defaultSecurityGroup = new aws.ec2.DefaultSecurityGroup(
      `${name}-default-sg`,
      { vpcId, ingress: [], egress: [], tags: { ...tags, Name: `${name}-default-locked` } },
      { parent: this },
    );

    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const flowLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-flow-logs`,
      { retentionInDays: args.flowLogRetentionDays, kmsKeyId: args.logKmsKeyArn, tags },
      { parent: this },
    );
    const { role: flowLogRole } = serviceRole(this, `${name}-flow-logs`, {
      // Flow logs send aws:SourceArn (the flow log; its id is not known before it exists).
      trust: identity.accountId.apply((accountId) =>
        serviceTrustPolicy(
          "vpc-flow-logs.amazonaws.com",
          accountId,
          `arn:aws:ec2:${args.region}:${accountId}:vpc-flow-log/*`,
        ),
      ),
      policy: flowLogGroup.arn.apply((arn) => flowLogDeliveryPolicy(arn)),
      tags,
    });
    this.flowLog = new aws.ec2.FlowLog(
      `${name}-flow-logs`,
      {
        vpcId,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: flowLogGroup.arn,
        iamRoleArn: flowLogRole.arn,
        tags,
      },
      { parent: this },
    );

    this.vpcId = vpcId;
    this.vpcCidrBlock = pulumi.output(cidrBlock);
    this.privateSubnetIds = this.vpc.privateSubnetIds;
    this.privateSubnets = plan.privateCidrs.map((_, az) =>
      this.vpc!.privateSubnetIds.apply((ids) => ids[az]),
    );
    this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds });
  }
}
