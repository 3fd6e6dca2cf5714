/**
 * Airflow's REST API on an MWAA environment, through MWAA's InvokeRestApi (no web login, no CLI token):
 * `POST https://env.airflow.<region>.amazonaws.com/restapi/<Name>`, SigV4 for service `airflow`, body
 * `{Name, Path, Method, Body}`, answered with `{RestApiStatusCode, RestApiResponse}`. An Airflow 4xx comes
 * back as HTTP 400 `RestApiClientException` carrying Airflow's status, a 5xx as `RestApiServerException`.
 * Sources in docs/cloud-contracts.md ("MWAA and Airflow"). The SDK's MWAA client on our npm registry
 * predates InvokeRestApi, so the call is signed here with the same signer the SDK uses.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { z } from "zod";

export class AirflowApiError extends Error {
  constructor(
    /** Airflow's own status where MWAA passed one on, else MWAA's. */
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const invokeAnswer = z.object({ RestApiStatusCode: z.number(), RestApiResponse: z.unknown() }).loose();
const mwaaError = z
  .object({
    message: z.string().optional(),
    Message: z.string().optional(),
    RestApiStatusCode: z.number().optional(),
    RestApiResponse: z.unknown().optional(),
  })
  .loose();
const dagAnswer = z.object({ dag_id: z.string(), is_paused: z.boolean().nullable().optional() }).loose();
const dagRunAnswer = z.object({ dag_run_id: z.string(), state: z.string().nullable().optional() }).loose();

export interface MwaaAirflowOptions {
  region: string;
  environment: string;
  credentials: ConstructorParameters<typeof SignatureV4>[0]["credentials"];
  /** Where the MWAA API is; default `https://env.airflow.<region>.amazonaws.com`. Tests point it at a fake. */
  endpoint?: string;
  fetch?: typeof fetch;
}

export class MwaaAirflow {
  private readonly signer: SignatureV4;
  private readonly endpoint: URL;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: MwaaAirflowOptions) {
    if (!/^[A-Za-z][0-9A-Za-z_-]{0,79}$/.test(options.environment))
      throw new Error(`not an MWAA environment name: '${options.environment}'`);
    this.endpoint = new URL(options.endpoint ?? `https://env.airflow.${options.region}.amazonaws.com`);
    this.signer = new SignatureV4({
      service: "airflow",
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
    });
    this.fetch = options.fetch ?? fetch;
  }

  /** One Airflow REST call; its answer, or AirflowApiError with Airflow's status. */
  async invoke(method: "GET" | "POST" | "PATCH", path: string, body?: unknown): Promise<unknown> {
    const payload = JSON.stringify({
      Method: method,
      Path: path,
      ...(body === undefined ? {} : { Body: body }),
    });
    const requestPath = `/restapi/${encodeURIComponent(this.options.environment)}`;
    const signed = await this.signer.sign({
      method: "POST",
      protocol: this.endpoint.protocol,
      hostname: this.endpoint.hostname,
      port: this.endpoint.port ? Number(this.endpoint.port) : undefined,
      path: requestPath,
      headers: { host: this.endpoint.host, "content-type": "application/json" },
      body: payload,
    });
    const response = await this.fetch(new URL(requestPath, this.endpoint), {
      method: "POST",
      headers: signed.headers as Record<string, string>,
      body: payload,
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.ok) return invokeAnswer.parse(json).RestApiResponse;
    const error = mwaaError.safeParse(json);
    const type = response.headers.get("x-amzn-errortype")?.split(":")[0] ?? `HTTP ${response.status}`;
    const status = error.success ? (error.data.RestApiStatusCode ?? response.status) : response.status;
    const detail = error.success
      ? (error.data.message ?? error.data.Message ?? JSON.stringify(error.data.RestApiResponse ?? ""))
      : text.slice(0, 200);
    throw new AirflowApiError(status, `MWAA ${method} ${path}: ${type} (Airflow ${status}) ${detail}`.trim());
  }

  /** The DAG as Airflow knows it, or undefined while the scheduler has not parsed it yet (404). */
  async dag(dagId: string): Promise<{ isPaused: boolean } | undefined> {
    try {
      const dag = dagAnswer.parse(await this.invoke("GET", `/dags/${encodeURIComponent(dagId)}`));
      return { isPaused: dag.is_paused === true };
    } catch (err) {
      if (err instanceof AirflowApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  async triggerDagRun(dagId: string, runId: string): Promise<void> {
    dagRunAnswer.parse(
      await this.invoke("POST", `/dags/${encodeURIComponent(dagId)}/dagRuns`, {
        dag_run_id: runId,
        conf: {},
      }),
    );
  }

  /** queued, running, success or failed. */
  async dagRunState(dagId: string, runId: string): Promise<string> {
    const run = dagRunAnswer.parse(
      await this.invoke("GET", `/dags/${encodeURIComponent(dagId)}/dagRuns/${encodeURIComponent(runId)}`),
    );
    return run.state ?? "queued";
  }
}
