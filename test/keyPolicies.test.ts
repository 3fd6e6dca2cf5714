/**
 * The stack's key policies (components/keyPolicies.ts): explicit, administered by the account without kms:*
 * or grants, and usable by the account's principals only through the services each key is for.
 */
import { strict as assert } from "node:assert";
import { KEY_ADMIN_ACTIONS, lakeKeyPolicy, logsKeyPolicy, secretsKeyPolicy } from "../components/keyPolicies";
import type { PolicyStatement } from "../components/defaults";

const C = { accountId: "123456789012", region: "eu-west-1" };
const actions = (s: PolicyStatement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const USE = /^kms:(Encrypt|Decrypt|ReEncrypt|GenerateDataKey|CreateGrant)/;

describe("KMS key policies", () => {
  for (const [name, policy, services] of [
    ["lake", lakeKeyPolicy(C), ["s3", "kinesis", "kafka"]],
    ["secrets", secretsKeyPolicy(C), ["secretsmanager"]],
  ] as const) {
    it(`${name}: the account administers it, and uses it only through ${services.join(", ")}`, () => {
      const [admin, ...rest] = policy.Statement;
      assert.equal(admin.Sid, "AccountAdministersKey");
      assert.deepEqual(actions(admin), KEY_ADMIN_ACTIONS);
      assert.ok(!actions(admin).some((a) => USE.test(a)), "administering is not using");
      for (const s of rest) {
        assert.deepEqual(s.Principal, { AWS: "arn:aws:iam::123456789012:root" });
        const condition = s.Condition!.StringEquals;
        assert.equal(condition["kms:CallerAccount"], "123456789012");
        const via = [condition["kms:ViaService"]].flat();
        for (const v of via)
          assert.ok(
            services.some((svc) => v === `${svc}.eu-west-1.amazonaws.com`),
            String(v),
          );
      }
      for (const s of policy.Statement)
        for (const a of actions(s)) assert.ok(!a.includes("*"), `${name}: no wildcard action (${a})`);
    });
  }

  it("lake: MSK may create grants for its brokers' storage, and nothing else may", () => {
    const grants = lakeKeyPolicy(C).Statement.filter((s) => actions(s).includes("kms:CreateGrant"));
    assert.equal(grants.length, 1);
    assert.deepEqual(grants[0].Condition, {
      StringEquals: {
        "kms:CallerAccount": "123456789012",
        "kms:ViaService": "kafka.eu-west-1.amazonaws.com",
      },
      Bool: { "kms:GrantIsForAWSResource": true },
    });
  });

  it("logs: CloudWatch Logs may use it for this account's log groups in this region only", () => {
    const [, logs] = logsKeyPolicy(C).Statement;
    assert.deepEqual(logs.Principal, { Service: "logs.eu-west-1.amazonaws.com" });
    assert.deepEqual(logs.Condition, {
      ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:123456789012:log-group:*" },
    });
    assert.equal(logsKeyPolicy(C).Statement.length, 2, "no principal of the account may use it directly");
  });
});
