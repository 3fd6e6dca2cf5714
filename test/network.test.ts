/**
 * Network under Pulumi mocks. What mocks cannot prove: that AWS accepts these inputs (CIDR overlaps, AZ
 * capacity), real parent/child aliasing on rename, or routing behaviour; they prove what the program asks for.
 */
import { strict as assert } from "node:assert";
import { Network, planSubnets, validateNetworkArgs } from "../components/network";
import { installMocks, parseJson, promiseOf, RecordingMocks, settle } from "../synth/mocks";
import { PolicyDocument } from "../components/defaults";
import { NETWORK_SETTINGS } from "./fixtures/settings";

async function render(build: () => Network): Promise<{ mocks: RecordingMocks; network: Network }> {
  const mocks = await installMocks();
  const network = build();
  await promiseOf(network.privateSubnetIds);
  await settle(mocks);
  return { mocks, network };
}

const LOG_KEY = "arn:aws:kms:eu-west-1:123456789012:key/log-key";
const count = (mocks: RecordingMocks, type: string) => mocks.ofType(type).length;

describe("planSubnets", () => {
  it("gives each AZ a private quarter of the VPC and a small public subnet in the last quarter", () => {
    assert.deepEqual(planSubnets("10.20.0.0/16", 3), {
      privateCidrs: ["10.20.0.0/18", "10.20.64.0/18", "10.20.128.0/18"],
      publicCidrs: ["10.20.192.0/20", "10.20.208.0/20", "10.20.224.0/20"],
    });
    assert.deepEqual(planSubnets("172.16.16.0/20", 2), {
      privateCidrs: ["172.16.16.0/22", "172.16.20.0/22"],
      publicCidrs: ["172.16.28.0/24", "172.16.29.0/24"],
    });
  });

  it("rejects a public, oversized or misaligned block and an unsupported AZ count", () => {
    assert.throws(() => planSubnets("8.8.0.0/16", 2), {
      message: "cidrBlock must be a private IPv4 CIDR block from /16 to /20, got '8.8.0.0/16'",
    });
    assert.throws(() => planSubnets("10.0.0.0/8", 2), /got '10.0.0.0\/8'/);
    assert.throws(() => planSubnets("10.20.1.0/16", 2), /got '10.20.1.0\/16'/);
    assert.throws(() => planSubnets("10.20.0.0/16", 4), {
      message: "availabilityZoneCount must be 2 or 3, got 4",
    });
  });
});

describe("validateNetworkArgs", () => {
  it("requires an adopted VPC's subnets and forbids creation settings beside it", () => {
    assert.throws(() => validateNetworkArgs({ existingVpcId: "vpc-0123456789abcdef0" }), {
      message: "existingVpcId and existingPrivateSubnetIds must be given together",
    });
    assert.throws(
      () =>
        validateNetworkArgs({
          existingVpcId: "vpc-0123456789abcdef0",
          existingPrivateSubnetIds: ["subnet-01234567", "subnet-89abcdef"],
          cidrBlock: "10.1.0.0/16",
        }),
      { message: "existingVpcId and cidrBlock are mutually exclusive" },
    );
    assert.throws(
      () =>
        validateNetworkArgs({
          existingVpcId: "vpc-0123456789abcdef0",
          existingPrivateSubnetIds: ["subnet-01234567"],
        }),
      { message: "existingPrivateSubnetIds must name subnets in at least two availability zones" },
    );
  });
});

describe("Network (created VPC, on awsx.ec2.Vpc)", () => {
  // awsx's Vpc is a remote component: its children are created by the awsx plugin, never under mocks. These
  // tests pin what the program asks awsx for; what awsx makes of it is pinned in docs/cloud-contracts.md
  // ("Network: awsx.ec2.Vpc").
  const AWSX_VPC = "awsx:ec2:Vpc";

  it("asks awsx for private subnets in two AZs behind one NAT gateway, with an S3 endpoint, and logs its flows", async () => {
    const { mocks, network } = await render(
      () =>
        new Network("net", {
          ...NETWORK_SETTINGS,
          region: "eu-west-1",
          logKmsKeyArn: LOG_KEY,
          tags: { team: "data" },
        }),
    );
    assert.equal(count(mocks, AWSX_VPC), 1);
    const vpc = mocks.ofType(AWSX_VPC)[0];
    assert.equal(vpc.inputs.cidrBlock, "10.20.0.0/16");
    assert.equal(vpc.inputs.numberOfAvailabilityZones, 2);
    assert.equal(vpc.inputs.subnetStrategy, "Auto");
    assert.deepEqual(vpc.inputs.subnetSpecs, [
      { type: "Private", cidrBlocks: ["10.20.0.0/18", "10.20.64.0/18"], tags: { tier: "private" } },
      { type: "Public", cidrBlocks: ["10.20.192.0/20", "10.20.208.0/20"], tags: { tier: "public" } },
    ]);
    assert.deepEqual(vpc.inputs.natGateways, { strategy: "Single" });
    assert.equal(vpc.inputs.enableDnsHostnames, true);
    assert.equal(vpc.inputs.enableDnsSupport, true);
    assert.deepEqual(vpc.inputs.tags, { team: "data" });
    assert.equal(count(mocks, "aws:ec2/flowLog:FlowLog"), 1);
    assert.equal(count(mocks, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"), 1);
    // Beside awsx: the default security group, the flow log, its group, role and role policy.
    assert.equal(mocks.resources.filter((r) => r.custom).length, 5);
    const subnets = await promiseOf(network.privateSubnetIds);
    assert.equal(subnets.length, 2);
    assert.deepEqual(await Promise.all(network.privateSubnets.map(promiseOf)), subnets);
    assert.equal(await promiseOf(network.vpcCidrBlock), "10.20.0.0/16");
    // The flow log and the default security group are on awsx's VPC.
    const vpcId = await promiseOf(network.vpcId);
    assert.match(vpcId, /^vpc-[0-9a-f]{17}$/);
    assert.equal(mocks.ofType("aws:ec2/flowLog:FlowLog")[0].inputs.vpcId, vpcId);
    assert.equal(mocks.ofType("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")[0].inputs.vpcId, vpcId);
  });

  it("gives lake traffic an S3 gateway endpoint and leaves the default security group without rules", async () => {
    const { mocks } = await render(
      () => new Network("net", { ...NETWORK_SETTINGS, region: "eu-west-1", logKmsKeyArn: LOG_KEY }),
    );
    const vpc = mocks.ofType(AWSX_VPC)[0];
    // "Auto": awsx puts a gateway endpoint without routeTableIds on every route table it made.
    assert.equal(vpc.inputs.vpcEndpointStrategy, "Auto");
    assert.deepEqual(vpc.inputs.vpcEndpointSpecs, [
      { serviceName: "com.amazonaws.eu-west-1.s3", vpcEndpointType: "Gateway" },
    ]);
    const defaultSg = mocks.ofType("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")[0];
    assert.deepEqual(defaultSg.inputs.ingress, []);
    assert.deepEqual(defaultSg.inputs.egress, []);
  });

  it("gives the flow-log role only write access to its own log group", async () => {
    const { mocks } = await render(
      () =>
        new Network("net", {
          ...NETWORK_SETTINGS,
          region: "eu-west-1",
          logKmsKeyArn: LOG_KEY,
          flowLogRetentionDays: 90,
        }),
    );
    const group = mocks.ofType("aws:cloudwatch/logGroup:LogGroup")[0];
    assert.equal(group.inputs.retentionInDays, 90);
    const groupArn = group.state.arn as string;
    const policy = parseJson<PolicyDocument>(mocks.ofType("aws:iam/rolePolicy:RolePolicy")[0].inputs.policy);
    assert.deepEqual(policy.Statement, [
      {
        Sid: "WriteFlowLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [groupArn, `${groupArn}:log-stream:*`],
      },
    ]);
    const trust = parseJson<PolicyDocument>(mocks.ofType("aws:iam/role:Role")[0].inputs.assumeRolePolicy);
    assert.deepEqual(trust.Statement[0].Principal, { Service: "vpc-flow-logs.amazonaws.com" });
    // Flow logs send both keys (confused-deputy prevention); the flow log's id is not known beforehand.
    assert.deepEqual(trust.Statement[0].Condition, {
      StringEquals: { "aws:SourceAccount": "123456789012" },
      ArnLike: { "aws:SourceArn": "arn:aws:ec2:eu-west-1:123456789012:vpc-flow-log/*" },
    });
    const flowLog = mocks.ofType("aws:ec2/flowLog:FlowLog")[0];
    assert.equal(flowLog.inputs.trafficType, "ALL");
    assert.equal(flowLog.inputs.logDestination, groupArn);
  });

  it("asks for one NAT gateway in each AZ in per-az mode", async () => {
    const { mocks, network } = await render(
      () =>
        new Network("net", {
          ...NETWORK_SETTINGS,
          region: "eu-west-1",
          logKmsKeyArn: LOG_KEY,
          availabilityZoneCount: 3,
          natGatewayMode: "per-az",
          cidrBlock: "10.30.0.0/16",
        }),
    );
    const vpc = mocks.ofType(AWSX_VPC)[0];
    assert.deepEqual(vpc.inputs.natGateways, { strategy: "OnePerAz" });
    assert.equal(vpc.inputs.numberOfAvailabilityZones, 3);
    const specs = vpc.inputs.subnetSpecs as Array<{ cidrBlocks: string[] }>;
    assert.deepEqual(
      specs.map((spec) => spec.cidrBlocks.length),
      [3, 3],
    );
    assert.equal(network.privateSubnets.length, 3);
  });

  it("rejects a created VPC without a region, and a region beside an adopted VPC", () => {
    assert.throws(() => new Network("net", { ...NETWORK_SETTINGS, logKmsKeyArn: LOG_KEY }), {
      message: "region is required to create a VPC (the stack's aws:region)",
    });
    // The caller resolves the settings (config.ts holds their defaults); the component has none of its own.
    assert.throws(
      () =>
        new Network("net", {
          ...NETWORK_SETTINGS,
          cidrBlock: undefined,
          region: "eu-west-1",
          logKmsKeyArn: LOG_KEY,
        }),
      {
        message: "cidrBlock is required to create a VPC",
      },
    );
    assert.throws(
      () =>
        validateNetworkArgs({
          region: "eu-west-1",
          existingVpcId: "vpc-0123456789abcdef0",
          existingPrivateSubnetIds: ["subnet-01234567", "subnet-89abcdef"],
        }),
      { message: "existingVpcId and region are mutually exclusive" },
    );
  });

  it("parents awsx's VPC and every resource beside it to the component, and exposes them", async () => {
    const { mocks, network } = await render(
      () => new Network("net", { ...NETWORK_SETTINGS, region: "eu-west-1", logKmsKeyArn: LOG_KEY }),
    );
    const component = mocks.ofType("pinterest-pipeline:network:Network")[0];
    assert.ok(component.urn.length > 0);
    for (const r of mocks.resources.filter((x) => x.custom || x.type === AWSX_VPC)) {
      assert.equal(r.parent, component.urn, `${r.type} ${r.name}`);
    }
    assert.ok(network.vpc && network.flowLog && network.defaultSecurityGroup);
  });
});

describe("Network (adopted VPC)", () => {
  it("creates nothing and passes the adopted VPC and subnets through", async () => {
    const subnets = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"];
    const { mocks, network } = await render(
      () =>
        new Network("net", {
          flowLogRetentionDays: NETWORK_SETTINGS.flowLogRetentionDays,
          logKmsKeyArn: LOG_KEY,
          existingVpcId: "vpc-0123456789abcdef0",
          existingPrivateSubnetIds: subnets,
        }),
    );
    assert.equal(mocks.resources.filter((r) => r.custom).length, 0);
    assert.equal(await promiseOf(network.vpcId), "vpc-0123456789abcdef0");
    assert.equal(await promiseOf(network.vpcCidrBlock), "10.0.0.0/16");
    assert.deepEqual(await promiseOf(network.privateSubnetIds), subnets);
    assert.deepEqual(
      mocks.invokes.map((i) => i.token),
      ["aws:ec2/getVpc:getVpc"],
    );
  });
});
