/**
 * The few Databricks REST calls the cloud end-to-end test makes, over fetch: who may call (a token, an OAuth
 * M2M secret, or GitHub's OIDC token exchanged for a Databricks token), a job's active runs, and one SQL
 * statement's single-value answer on a SQL warehouse. Request and answer shapes are those of the pages
 * cited in docs/cloud-contracts.md ("Databricks REST APIs"); test/e2eCloud.test.ts serves them from a fake.
 */
import { z } from "zod";

export class DatabricksApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

/** How the client gets its bearer token; `resolveDatabricksAuth` picks one from the environment. */
export type DatabricksAuth =
  | { kind: "token"; token: string }
  | { kind: "m2m"; clientId: string; clientSecret: string }
  | { kind: "github-oidc"; clientId: string; requestUrl: string; requestToken: string; audience?: string };

/**
 * The same variables the Databricks CLI and SDKs read (unified client authentication): DATABRICKS_TOKEN;
 * or DATABRICKS_CLIENT_ID with DATABRICKS_CLIENT_SECRET; or DATABRICKS_AUTH_TYPE=github-oidc with
 * DATABRICKS_CLIENT_ID inside a GitHub Actions job that may mint an OIDC token (`id-token: write`).
 */
export function resolveDatabricksAuth(env: NodeJS.ProcessEnv): DatabricksAuth {
  if (env.DATABRICKS_TOKEN) return { kind: "token", token: env.DATABRICKS_TOKEN };
  const clientId = env.DATABRICKS_CLIENT_ID;
  if (env.DATABRICKS_AUTH_TYPE === "github-oidc") {
    if (!clientId) throw new Error("DATABRICKS_AUTH_TYPE=github-oidc needs DATABRICKS_CLIENT_ID");
    if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN)
      throw new Error(
        "DATABRICKS_AUTH_TYPE=github-oidc works only in a GitHub Actions job with `permissions: id-token: write`",
      );
    return {
      kind: "github-oidc",
      clientId,
      requestUrl: env.ACTIONS_ID_TOKEN_REQUEST_URL,
      requestToken: env.ACTIONS_ID_TOKEN_REQUEST_TOKEN,
      audience: env.DATABRICKS_TOKEN_AUDIENCE,
    };
  }
  if (clientId && env.DATABRICKS_CLIENT_SECRET)
    return { kind: "m2m", clientId, clientSecret: env.DATABRICKS_CLIENT_SECRET };
  throw new Error(
    "no Databricks credentials: set DATABRICKS_TOKEN, or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET, " +
      "or DATABRICKS_AUTH_TYPE=github-oidc with DATABRICKS_CLIENT_ID",
  );
}

const tokenAnswer = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().positive().optional(),
});
const errorAnswer = z.object({ error_code: z.string().optional(), message: z.string().optional() }).loose();
const runsAnswer = z
  .object({
    runs: z
      .array(
        z
          .object({
            run_id: z.number(),
            state: z
              .object({ life_cycle_state: z.string().optional(), result_state: z.string().optional() })
              .loose(),
          })
          .loose(),
      )
      .optional(),
  })
  .loose();
const statementAnswer = z
  .object({
    statement_id: z.string(),
    status: z
      .object({
        state: z.enum(["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELED", "CLOSED"]),
        error: z
          .object({ message: z.string().optional(), error_code: z.string().optional() })
          .loose()
          .optional(),
      })
      .loose(),
    result: z
      .object({ data_array: z.array(z.array(z.string().nullable())).optional() })
      .loose()
      .optional(),
  })
  .loose();

export interface JobRun {
  runId: number;
  lifeCycleState?: string;
  resultState?: string;
}

export interface DatabricksClientOptions {
  host: string;
  auth: DatabricksAuth;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Poll interval while a statement runs. Default 2 s. */
  statementPollMs?: number;
}

/** An S3 path a Delta table may live at, quoted safely into SQL: no backtick, quote or space. */
const DELTA_PATH = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9._=-]+)+$/;

export class DatabricksClient {
  private readonly host: string;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private token?: { value: string; expiresAt: number };

  constructor(private readonly options: DatabricksClientOptions) {
    const url = new URL(options.host);
    if (url.protocol !== "https:" && url.hostname !== "127.0.0.1")
      throw new Error(`the Databricks host must be an https URL, got '${options.host}'`);
    this.host = url.origin;
    this.fetch = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  private async bearer(): Promise<string> {
    const auth = this.options.auth;
    if (auth.kind === "token") return auth.token;
    if (this.token && Date.now() < this.token.expiresAt) return this.token.value;
    const form = new URLSearchParams({ scope: "all-apis" });
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
    if (auth.kind === "m2m") {
      form.set("grant_type", "client_credentials");
      headers.authorization = `Basic ${Buffer.from(`${auth.clientId}:${auth.clientSecret}`).toString("base64")}`;
    } else {
      // GitHub's OIDC token for this job, exchanged through the service principal's federation policy.
      const idUrl = new URL(auth.requestUrl);
      if (auth.audience) idUrl.searchParams.set("audience", auth.audience);
      const id = await this.fetch(idUrl, { headers: { authorization: `Bearer ${auth.requestToken}` } });
      if (!id.ok) throw new Error(`GitHub refused an OIDC token: HTTP ${id.status}`);
      const { value } = z.object({ value: z.string().min(1) }).parse(await id.json());
      form.set("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange");
      form.set("subject_token", value);
      form.set("subject_token_type", "urn:ietf:params:oauth:token-type:jwt");
      form.set("client_id", auth.clientId);
    }
    const response = await this.fetch(`${this.host}/oidc/v1/token`, { method: "POST", headers, body: form });
    if (!response.ok) throw new Error(`Databricks refused a token (${auth.kind}): HTTP ${response.status}`);
    const answer = tokenAnswer.parse(await response.json());
    this.token = {
      value: answer.access_token,
      expiresAt: Date.now() + ((answer.expires_in ?? 3600) - 60) * 1000,
    };
    return answer.access_token;
  }

  /** One API call; 429 and 503 are retried (at most 5 times, honouring Retry-After), other errors thrown. */
  private async call(method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const response = await this.fetch(`${this.host}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await this.bearer()}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (response.ok) return text ? JSON.parse(text) : {};
      if ((response.status === 429 || response.status === 503) && attempt < 5) {
        const after = Number(response.headers.get("retry-after"));
        await this.sleep(Number.isFinite(after) && after > 0 ? after * 1000 : 1000 * 2 ** attempt);
        continue;
      }
      let parsed: z.infer<typeof errorAnswer> = {};
      try {
        parsed = errorAnswer.parse(JSON.parse(text));
      } catch {
        // not JSON: the status alone says it
      }
      throw new DatabricksApiError(
        response.status,
        parsed.error_code ?? `HTTP_${response.status}`,
        `Databricks ${method} ${path.split("?")[0]}: HTTP ${response.status} ${parsed.error_code ?? ""} ${parsed.message ?? text.slice(0, 200)}`.trim(),
      );
    }
  }

  /** The job's runs that have not ended (Jobs API 2.2 `runs/list?active_only=true`). */
  async activeRuns(jobId: number): Promise<JobRun[]> {
    const answer = runsAnswer.parse(
      await this.call("GET", `/api/2.2/jobs/runs/list?job_id=${jobId}&active_only=true`),
    );
    return (answer.runs ?? []).map((r) => ({
      runId: r.run_id,
      lifeCycleState: r.state.life_cycle_state,
      resultState: r.state.result_state,
    }));
  }

  /**
   * How many distinct `ind` from `lo` to `hi` the Delta table at `path` holds, on SQL warehouse `warehouseId`
   * (Statement Execution API: wait up to 30 s, then poll the statement).
   */
  async countKeys(warehouseId: string, path: string, lo: number, hi: number): Promise<number> {
    if (!DELTA_PATH.test(path)) throw new Error(`not a Delta table path this test queries: '${path}'`);
    let answer = statementAnswer.parse(
      await this.call("POST", "/api/2.0/sql/statements", {
        warehouse_id: warehouseId,
        statement: `SELECT count(DISTINCT ind) FROM delta.\`${path}\` WHERE ind BETWEEN :lo AND :hi`,
        parameters: [
          { name: "lo", value: String(lo), type: "INT" },
          { name: "hi", value: String(hi), type: "INT" },
        ],
        wait_timeout: "30s",
        on_wait_timeout: "CONTINUE",
        disposition: "INLINE",
        format: "JSON_ARRAY",
      }),
    );
    while (answer.status.state === "PENDING" || answer.status.state === "RUNNING") {
      await this.sleep(this.options.statementPollMs ?? 2000);
      answer = statementAnswer.parse(
        await this.call("GET", `/api/2.0/sql/statements/${answer.statement_id}`),
      );
    }
    if (answer.status.state !== "SUCCEEDED") {
      const error = answer.status.error;
      throw new DatabricksApiError(
        200,
        error?.error_code ?? answer.status.state,
        `statement on ${path} ${answer.status.state}: ${error?.message ?? "no message"}`,
      );
    }
    const value = answer.result?.data_array?.[0]?.[0];
    const n = Number(value);
    if (value === null || value === undefined || !Number.isInteger(n))
      throw new Error(`statement on ${path} answered no count (${JSON.stringify(answer.result)})`);
    return n;
  }
}
