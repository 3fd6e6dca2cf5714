/**
 * KinesisIngest under Pulumi mocks: the streams, the API's routes and mapping templates, validation models,
 * the role's scope, API key and throttling, and the absence of stream management over HTTP. What mocks
 * cannot prove: that API Gateway accepts the templates and models, or how Kinesis answers; the local twin
 * evaluates the same templates against a real Kinesis API.
 */
import { EVENT_KINDS } from "../components/events";
import { strict as assert } from "node:assert";
import { KINESIS_ROUTES, REQUEST_MODELS } from "../components/kinesisIngest/api";
import { PolicyDocument } from "../components/defaults";
import {
  KinesisIngest,
  KinesisIngestArgs,
  kinesisApiPolicy,
  validateKinesisIngestArgs,
} from "../components/kinesisIngest";
import { streamNames } from "../components/names";
import { installMocks, parseJson, promiseOf, RecordingMocks, settle } from "../synth/mocks";
import { KINESIS_INGEST_SETTINGS } from "./fixtures/settings";
import { assertSplitWithAliases } from "./fixtures/moved";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555";

const LOG_KEY = "arn:aws:kms:eu-west-1:123456789012:key/log-key";

async function render(
  args: Array<Partial<KinesisIngestArgs> & Pick<KinesisIngestArgs, "streams">>,
): Promise<RecordingMocks> {
  const mocks = await installMocks();
  const instances = args.map(
    (a, i) =>
      new KinesisIngest(i === 0 ? "pp" : `pp${i}`, {
        ...KINESIS_INGEST_SETTINGS,
        logKmsKeyArn: LOG_KEY,
        ...a,
      }),
  );
  await Promise.all(instances.map((k) => promiseOf(k.apiUrl)));
  return settle(mocks);
}

describe("KinesisIngest (mocks)", () => {
  let mocks: RecordingMocks;
  before(async () => {
    mocks = await render([{ streams: streamNames("pp"), kmsKeyArn: KEY, retentionHours: 48 }]);
  });

  it("creates exactly the expected resources", () => {
    const counts: Record<string, number> = {};
    for (const r of mocks.resources.filter((x) => x.custom)) counts[r.type] = (counts[r.type] ?? 0) + 1;
    assert.deepEqual(counts, {
      "aws:kinesis/stream:Stream": 3,
      "aws:iam/role:Role": 1,
      "aws:iam/rolePolicy:RolePolicy": 1,
      "aws:apigateway/restApi:RestApi": 1,
      "aws:apigateway/requestValidator:RequestValidator": 1,
      "aws:apigateway/model:Model": 2,
      "aws:apigateway/resource:Resource": 4,
      "aws:apigateway/method:Method": 3,
      "aws:apigateway/integration:Integration": 3,
      "aws:apigateway/methodResponse:MethodResponse": 12,
      "aws:apigateway/integrationResponse:IntegrationResponse": 9,
      "aws:apigateway/response:Response": 7,
      "aws:apigateway/deployment:Deployment": 1,
      "aws:cloudwatch/logGroup:LogGroup": 1,
      "aws:apigateway/stage:Stage": 1,
      "aws:apigateway/methodSettings:MethodSettings": 1,
    });
  });

  it("encrypts three on-demand streams with the given key and keeps records as configured", () => {
    const streams = mocks.ofType("aws:kinesis/stream:Stream");
    assert.deepEqual(streams.map((s) => s.inputs.name).sort(), ["pp-geo", "pp-pin", "pp-user"]);
    for (const s of streams) {
      assert.equal(s.inputs.encryptionType, "KMS");
      assert.equal(s.inputs.kmsKeyId, KEY);
      assert.deepEqual(s.inputs.streamModeDetails, { streamMode: "ON_DEMAND" });
      assert.equal(s.inputs.shardCount, undefined);
      assert.equal(s.inputs.retentionPeriod, 48);
    }
  });

  it("offers exactly the original's three routes, each keyed and validated, and no stream management", () => {
    const resources = mocks
      .ofType("aws:apigateway/resource:Resource")
      .map((r) => r.inputs.pathPart)
      .sort();
    assert.deepEqual(resources, ["record", "records", "streams", "{stream-name}"]);
    const methods = mocks.ofType("aws:apigateway/method:Method");
    assert.deepEqual(methods.map((m) => m.inputs.httpMethod).sort(), ["GET", "PUT", "PUT"]);
    assert.ok(
      !methods.some((m) => ["POST", "DELETE", "ANY"].includes(String(m.inputs.httpMethod))),
      "no create or delete",
    );
    const validator = mocks.ofType("aws:apigateway/requestValidator:RequestValidator")[0];
    for (const m of methods) {
      assert.equal(m.inputs.apiKeyRequired, true);
      assert.equal(m.inputs.requestValidatorId, validator.id);
    }
    const integrations = mocks.ofType("aws:apigateway/integration:Integration");
    assert.deepEqual(
      integrations.map((i) => i.inputs.uri).sort(),
      ["DescribeStreamSummary", "PutRecord", "PutRecords"].map(
        (a) => `arn:aws:apigateway:eu-west-1:kinesis:action/${a}`,
      ),
    );
    const role = mocks.ofType("aws:iam/role:Role")[0];
    for (const i of integrations) {
      assert.equal(i.inputs.type, "AWS");
      assert.equal(i.inputs.credentials, role.state.arn);
      assert.equal(i.inputs.passthroughBehavior, "NEVER");
      const route = KINESIS_ROUTES.find((r) => String(i.inputs.uri).endsWith(`/${r.action}`))!;
      assert.deepEqual(i.inputs.requestTemplates, { "application/json": route.requestTemplate });
    }
  });

  it("validates bodies against the request models", () => {
    const models = mocks.ofType("aws:apigateway/model:Model");
    assert.deepEqual(
      Object.fromEntries(models.map((m) => [m.inputs.name, parseJson(m.inputs.schema)])),
      JSON.parse(JSON.stringify(REQUEST_MODELS)),
    );
    const putRecords = mocks.ofType("aws:apigateway/method:Method").find((m) => m.name === "pp-PutRecords")!;
    assert.deepEqual(putRecords.inputs.requestModels, { "application/json": "PutRecordsRequest" });
  });

  it("lets the API's role put to and describe only the three streams", () => {
    const arns = mocks.ofType("aws:kinesis/stream:Stream").map((s) => String(s.state.arn));
    const policy = parseJson<PolicyDocument>(mocks.ofType("aws:iam/rolePolicy:RolePolicy")[0].inputs.policy);
    assert.deepEqual(policy, kinesisApiPolicy(arns, KEY));
    assert.deepEqual(policy.Statement[0].Action, [
      "kinesis:PutRecord",
      "kinesis:PutRecords",
      "kinesis:DescribeStreamSummary",
    ]);
    assert.equal((policy.Statement[0].Resource as string[]).length, 3);
    const trust = parseJson<PolicyDocument>(mocks.ofType("aws:iam/role:Role")[0].inputs.assumeRolePolicy);
    assert.deepEqual(trust.Statement[0].Principal, { Service: "apigateway.amazonaws.com" });
    // API Gateway sends no aws:SourceAccount when it assumes an integration's role: a condition on it
    // would answer every PutRecord(s) with 500 (docs/cloud-contracts.md, "Trust conditions").
    assert.equal(trust.Statement[0].Condition, undefined);
  });

  it("throttles, logs access and answers gateway errors readably", () => {
    const settings = mocks.ofType("aws:apigateway/methodSettings:MethodSettings")[0].inputs
      .settings as Record<string, unknown>;
    assert.deepEqual([settings.throttlingRateLimit, settings.throttlingBurstLimit], [100, 200]);
    const stage = mocks.ofType("aws:apigateway/stage:Stage")[0];
    assert.ok(
      (stage.inputs.accessLogSettings as { destinationArn: string }).destinationArn.startsWith(
        "arn:aws:logs:",
      ),
    );
    const responses: Record<string, unknown> = Object.fromEntries(
      mocks
        .ofType("aws:apigateway/response:Response")
        .map((r): [string, unknown] => [String(r.inputs.responseType), r.inputs.statusCode]),
    );
    assert.deepEqual(responses, {
      BAD_REQUEST_BODY: "400",
      BAD_REQUEST_PARAMETERS: "400",
      UNSUPPORTED_MEDIA_TYPE: "415",
      API_KEY: "403",
      MISSING_AUTHENTICATION_TOKEN: "404",
      THROTTLED: "429",
      QUOTA_EXCEEDED: "429",
    });
  });

  it("holds its resources in two children at its seams, each aliased to the URN it had before the split", () => {
    assertSplitWithAliases(mocks, { type: "pinterest-pipeline:ingest:KinesisIngest", name: "pp" }, [
      "pinterest-pipeline:ingest:KinesisStreams",
      "pinterest-pipeline:ingest:KinesisRestApi",
    ]);
  });

  it("exposes its streams, by kind, as the resources themselves", async () => {
    const mocks2 = await installMocks();
    const ingest = new KinesisIngest("px", {
      ...KINESIS_INGEST_SETTINGS,
      streams: streamNames("px"),
      logKmsKeyArn: LOG_KEY,
    });
    await promiseOf(ingest.apiUrl);
    await settle(mocks2);
    assert.deepEqual(await Promise.all(EVENT_KINDS.map((k) => promiseOf(ingest.streamNameOf[k]))), [
      "px-pin",
      "px-geo",
      "px-user",
    ]);
    assert.equal(await promiseOf(ingest.streams[1].name), "px-geo");
  });

  it("provisions shards when asked", async () => {
    const m = await render([{ streams: streamNames("pq"), mode: "provisioned", shardCount: 4 }]);
    for (const s of m.ofType("aws:kinesis/stream:Stream")) {
      assert.deepEqual([s.inputs.streamModeDetails, s.inputs.shardCount], [{ streamMode: "PROVISIONED" }, 4]);
      assert.equal(s.inputs.kmsKeyId, "alias/aws/kinesis");
    }
  });

  it("rejects contradictory args with exact messages", () => {
    assert.throws(() => validateKinesisIngestArgs({ streams: streamNames("pp"), mode: "provisioned" }), {
      message: "shardCount is required when mode is provisioned",
    });
    assert.throws(
      () => validateKinesisIngestArgs({ streams: streamNames("pp"), mode: "on-demand", shardCount: 2 }),
      {
        message: "shardCount and mode on-demand are mutually exclusive",
      },
    );
    assert.throws(
      () =>
        validateKinesisIngestArgs({ streams: { ...streamNames("pp"), pin: "pp/pin" }, mode: "on-demand" }),
      {
        message: "streams.pin is not a valid name: 'pp/pin'",
      },
    );
  });
});
