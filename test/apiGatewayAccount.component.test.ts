/**
 * API Gateway's account-level CloudWatch role, as API Gateway documents it (docs/cloud-contracts.md, "Trust
 * conditions"): a first `pulumi up` must be able to set it, and the setting must not break another stack's
 * logs in the same account and region.
 */
import { strict as assert } from "node:assert";
import { OptionsRecorder } from "./fixtures/options";
import { API_GATEWAY_LOGS_POLICY_ARN, ApiGatewayAccount } from "../components/apiGatewayAccount";
import { PolicyDocument } from "../components/defaults";
import { installMocks, parseJson, promiseOf, RecordingMocks, settle } from "../synth/mocks";

describe("ApiGatewayAccount (mocks)", () => {
  let mocks: RecordingMocks;
  const recorder = new OptionsRecorder();

  before(async () => {
    mocks = await installMocks();
    const account = new ApiGatewayAccount("pp", {}, { transformations: [recorder.transformation] });
    await promiseOf(account.roleArn);
    await settle(mocks);
  });

  it("trusts API Gateway with no condition: it sends no aws:SourceAccount for this role", () => {
    const [role] = mocks.ofType("aws:iam/role:Role");
    const trust = parseJson<PolicyDocument>(role.inputs.assumeRolePolicy);
    assert.deepEqual(trust.Statement, [
      { Effect: "Allow", Principal: { Service: "apigateway.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
  });

  it("grants AWS's documented policy, which serves every stack's logs in the account and region", () => {
    const [attachment] = mocks.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment");
    assert.equal(attachment.inputs.policyArn, API_GATEWAY_LOGS_POLICY_ARN);
    assert.equal(mocks.ofType("aws:iam/rolePolicy:RolePolicy").length, 0, "no policy scoped to one stack");
  });

  it("sets the account's role only once the policy is attached", async () => {
    const names = await recorder.dependsOn("aws:apigateway/account:Account", "pp-apigw");
    assert.ok(
      names.some((urn) => urn.endsWith("RolePolicyAttachment::pp-apigw-logs")),
      `depends on: ${names.join(", ")}`,
    );
  });
});
