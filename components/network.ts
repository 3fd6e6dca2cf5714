/**
 * Network: the private network every compute piece of the pipeline runs in. Either creates a VPC
 * (private subnets in two or three AZs, public subnets only for NAT, an S3 gateway endpoint so lake traffic
 * never leaves AWS's network, flow logs, and a default security group with no rules), or adopts an
 * existing VPC and its private subnets.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ipv4ToInt, isPrivateCidr16to20, NatGatewayMode } from "./cidr";
import { flowLogDeliveryPolicy, serviceTrustPolicy } from "./defaults";
import { serviceRole } from "./serviceRole";

export interface NetworkArgs {
  /** CIDR block of the created VPC, /16 to /20, RFC 1918. Default "10.20.0.0/16". Mutually exclusive with existingVpcId. */
  cidrBlock?: string;
  /** How many AZs get a private subnet (2 or 3). Default 2. Mutually exclusive with existingVpcId. */
  availabilityZoneCount?: number;
  /** "single" (one NAT gateway, cheaper) or "per-az" (one per AZ, survives an AZ outage). Default "single". Mutually exclusive with existingVpcId. */
  natGatewayMode?: NatGatewayMode;
  /** Days VPC flow logs are kept in CloudWatch Logs. Default 30. */
  flowLogRetentionDays?: pulumi.Input<number>;
  /** KMS key encrypting the flow-log group (the stack's logs key). */
  logKmsKeyArn: pulumi.Input<string>;
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
export function validateNetworkArgs(args: Omit<NetworkArgs, "logKmsKeyArn">): void {
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
  }
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join(".");
}

export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  /** The same subnets one Output each: their number is known while the program runs (broker counts need it). */
  public readonly privateSubnets: pulumi.Output<string>[];
  /** Route tables of the private subnets (empty when adopting: the adopted VPC owns its routing). */
  public readonly privateRouteTableIds: pulumi.Output<string[]>;
  /** CIDR block of the VPC, for security-group rules. */
  public readonly vpcCidrBlock: pulumi.Output<string>;

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
      this.privateRouteTableIds = pulumi.output([]);
      this.registerOutputs({ vpcId: this.vpcId, privateSubnetIds: this.privateSubnetIds });
      return;
    }

    const cidrBlock = args.cidrBlock ?? "10.20.0.0/16";
    const azCount = args.availabilityZoneCount ?? 2;
    const natMode = args.natGatewayMode ?? "single";
    const plan = planSubnets(cidrBlock, azCount);
    const zones = aws.getAvailabilityZonesOutput(
      { state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
      { parent: this },
    );
    const identity = aws.getCallerIdentityOutput({}, { parent: this });

    const vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      { cidrBlock, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: `${name}-vpc` } },
      { parent: this },
    );
    // Adopting the default security group with no rules strips AWS's allow-all-within-group default.
    new aws.ec2.DefaultSecurityGroup(
      `${name}-default-sg`,
      { vpcId: vpc.id, ingress: [], egress: [], tags: { ...tags, Name: `${name}-default-locked` } },
      { parent: this },
    );
    const igw = new aws.ec2.InternetGateway(
      `${name}-igw`,
      { vpcId: vpc.id, tags: { ...tags, Name: `${name}-igw` } },
      { parent: this },
    );
    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public-rt`,
      {
        vpcId: vpc.id,
        routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
        tags: { ...tags, Name: `${name}-public` },
      },
      { parent: this },
    );

    const publicSubnets: aws.ec2.Subnet[] = [];
    const natGateways: aws.ec2.NatGateway[] = [];
    const privateSubnets: aws.ec2.Subnet[] = [];
    const privateRouteTables: aws.ec2.RouteTable[] = [];
    for (let az = 0; az < azCount; az++) {
      const zone = zones.names.apply((names) => names[az]);
      const publicSubnet = new aws.ec2.Subnet(
        `${name}-public-${az}`,
        {
          vpcId: vpc.id,
          cidrBlock: plan.publicCidrs[az],
          availabilityZone: zone,
          mapPublicIpOnLaunch: false,
          tags: { ...tags, Name: `${name}-public-${az}`, tier: "public" },
        },
        { parent: this },
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-public-${az}`,
        { subnetId: publicSubnet.id, routeTableId: publicRoutes.id },
        { parent: this },
      );
      publicSubnets.push(publicSubnet);
      if (natMode === "per-az" || az === 0) {
        const eip = new aws.ec2.Eip(
          `${name}-nat-${az}`,
          { domain: "vpc", tags: { ...tags, Name: `${name}-nat-${az}` } },
          { parent: this },
        );
        natGateways.push(
          new aws.ec2.NatGateway(
            `${name}-nat-${az}`,
            { allocationId: eip.id, subnetId: publicSubnet.id, tags: { ...tags, Name: `${name}-nat-${az}` } },
            { parent: this, dependsOn: [igw] },
          ),
        );
      }
      const nat = natGateways[natMode === "per-az" ? az : 0];
      const privateSubnet = new aws.ec2.Subnet(
        `${name}-private-${az}`,
        {
          vpcId: vpc.id,
          cidrBlock: plan.privateCidrs[az],
          availabilityZone: zone,
          mapPublicIpOnLaunch: false,
          tags: { ...tags, Name: `${name}-private-${az}`, tier: "private" },
        },
        { parent: this },
      );
      const privateRoutes = new aws.ec2.RouteTable(
        `${name}-private-rt-${az}`,
        {
          vpcId: vpc.id,
          routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }],
          tags: { ...tags, Name: `${name}-private-${az}` },
        },
        { parent: this },
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-private-${az}`,
        { subnetId: privateSubnet.id, routeTableId: privateRoutes.id },
        { parent: this },
      );
      privateSubnets.push(privateSubnet);
      privateRouteTables.push(privateRoutes);
    }

    const region = aws.getRegionOutput({}, { parent: this });
    new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: vpc.id,
        serviceName: pulumi.interpolate`com.amazonaws.${region.region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: privateRouteTables.map((rt) => rt.id),
        tags: { ...tags, Name: `${name}-s3` },
      },
      { parent: this },
    );

    const flowLogGroup = new aws.cloudwatch.LogGroup(
      `${name}-flow-logs`,
      { retentionInDays: args.flowLogRetentionDays ?? 30, kmsKeyId: args.logKmsKeyArn, tags },
      { parent: this },
    );
    const { role: flowLogRole } = serviceRole(this, `${name}-flow-logs`, {
      // Flow logs send aws:SourceArn (the flow log; its id is not known before it exists).
      trust: pulumi
        .all([identity.accountId, aws.getRegionOutput({}, { parent: this }).region])
        .apply(([accountId, region]) =>
          serviceTrustPolicy(
            "vpc-flow-logs.amazonaws.com",
            accountId,
            `arn:aws:ec2:${region}:${accountId}:vpc-flow-log/*`,
          ),
        ),
      policy: flowLogGroup.arn.apply((arn) => flowLogDeliveryPolicy(arn)),
      tags,
    });
    new aws.ec2.FlowLog(
      `${name}-flow-logs`,
      {
        vpcId: vpc.id,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: flowLogGroup.arn,
        iamRoleArn: flowLogRole.arn,
        tags,
      },
      { parent: this },
    );

    this.vpcId = vpc.id;
    this.vpcCidrBlock = vpc.cidrBlock;
    this.privateSubnetIds = pulumi.all(privateSubnets.map((s) => s.id));
    this.privateSubnets = privateSubnets.map((s) => s.id);
    this.privateRouteTableIds = pulumi.all(privateRouteTables.map((rt) => rt.id));
    this.registerOutputs({
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      privateRouteTableIds: this.privateRouteTableIds,
    });
  }
}
