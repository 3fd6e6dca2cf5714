/**
 * Network under Pulumi mocks. What mocks cannot prove: that AWS accepts these inputs (CIDR overlaps, AZ
 * capacity), real parent/child aliasing on rename, or routing behaviour; they prove what the program asks for.
 */
import { strict as assert } from "node:assert";
import { Network, planSubnets, validateNetworkArgs } from "../components/network";
import { installMocks, parseJson, promiseOf, RecordingMocks, settle } from "../synth/mocks";
import { PolicyDocument } from "../components/defaults";

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

describe("Network (created VPC)", () => {
  it("creates private subnets in two AZs behind one NAT gateway, with an S3 endpoint and flow logs", async () => {
    const { mocks, network } = await render(
      () => new Network("net", { logKmsKeyArn: LOG_KEY, tags: { team: "data" } }),
    );
    assert.equal(count(mocks, "aws:ec2/vpc:Vpc"), 1);
    assert.equal(count(mocks, "aws:ec2/subnet:Subnet"), 4);
    assert.equal(count(mocks, "aws:ec2/natGateway:NatGateway"), 1);
    assert.equal(count(mocks, "aws:ec2/eip:Eip"), 1);
    assert.equal(count(mocks, "aws:ec2/routeTable:RouteTable"), 3);
    assert.equal(count(mocks, "aws:ec2/routeTableAssociation:RouteTableAssociation"), 4);
    assert.equal(count(mocks, "aws:ec2/vpcEndpoint:VpcEndpoint"), 1);
    assert.equal(count(mocks, "aws:ec2/flowLog:FlowLog"), 1);
    assert.equal(count(mocks, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"), 1);
    assert.equal(mocks.resources.filter((r) => r.custom).length, 21);
    assert.equal((await promiseOf(network.privateSubnetIds)).length, 2);

    const zones = mocks.ofType("aws:ec2/subnet:Subnet").filter((s) => s.name.includes("private"));
    assert.deepEqual(
      zones.map((s) => s.inputs.availabilityZone),
      ["eu-west-1a", "eu-west-1b"],
    );
    for (const subnet of mocks.ofType("aws:ec2/subnet:Subnet")) {
      assert.equal(subnet.inputs.mapPublicIpOnLaunch, false, `${subnet.name} must not hand out public IPs`);
    }
    const vpc = mocks.ofType("aws:ec2/vpc:Vpc")[0];
    assert.equal(vpc.inputs.cidrBlock, "10.20.0.0/16");
    assert.deepEqual(vpc.inputs.tags, { team: "data", Name: "net-vpc" });
  });

  it("routes private subnets only through NAT and leaves the default security group without rules", async () => {
    const { mocks } = await render(() => new Network("net", { logKmsKeyArn: LOG_KEY }));
    const nat = mocks.ofType("aws:ec2/natGateway:NatGateway")[0];
    const privateTables = mocks
      .ofType("aws:ec2/routeTable:RouteTable")
      .filter((t) => t.name.includes("private"));
    assert.equal(privateTables.length, 2);
    for (const table of privateTables) {
      assert.deepEqual(table.inputs.routes, [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }]);
    }
    const defaultSg = mocks.ofType("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")[0];
    assert.deepEqual(defaultSg.inputs.ingress, []);
    assert.deepEqual(defaultSg.inputs.egress, []);

    const endpoint = mocks.ofType("aws:ec2/vpcEndpoint:VpcEndpoint")[0];
    assert.equal(endpoint.inputs.serviceName, "com.amazonaws.eu-west-1.s3");
    assert.equal(endpoint.inputs.vpcEndpointType, "Gateway");
    assert.deepEqual(
      endpoint.inputs.routeTableIds,
      privateTables.map((t) => t.id),
    );
  });

  it("gives the flow-log role only write access to its own log group", async () => {
    const { mocks } = await render(
      () => new Network("net", { logKmsKeyArn: LOG_KEY, flowLogRetentionDays: 90 }),
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

  it("puts one NAT gateway in each AZ in per-az mode", async () => {
    const { mocks } = await render(
      () =>
        new Network("net", {
          logKmsKeyArn: LOG_KEY,
          availabilityZoneCount: 3,
          natGatewayMode: "per-az",
          cidrBlock: "10.30.0.0/16",
        }),
    );
    const nats = mocks.ofType("aws:ec2/natGateway:NatGateway");
    assert.equal(nats.length, 3);
    assert.equal(count(mocks, "aws:ec2/eip:Eip"), 3);
    const privateTables = mocks
      .ofType("aws:ec2/routeTable:RouteTable")
      .filter((t) => t.name.includes("private"));
    assert.deepEqual(
      privateTables.map((t) => (t.inputs.routes as Array<{ natGatewayId: string }>)[0].natGatewayId),
      nats.map((n) => n.id),
    );
  });

  it("parents every child to the component", async () => {
    const { mocks } = await render(() => new Network("net", { logKmsKeyArn: LOG_KEY }));
    const component = mocks.ofType("pinterest-pipeline:network:Network")[0];
    assert.ok(component.urn.length > 0);
    for (const r of mocks.resources.filter((x) => x.custom)) {
      assert.equal(r.parent, component.urn, `${r.type} ${r.name}`);
    }
  });
});

describe("Network (adopted VPC)", () => {
  it("creates nothing and passes the adopted VPC and subnets through", async () => {
    const subnets = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"];
    const { mocks, network } = await render(
      () =>
        new Network("net", {
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
