/**
 * Runs the guardrails over an offline synth graph (synth/synth.ts), the way the Pulumi engine runs a policy
 * pack during `pulumi preview`: every resource-level rule on each resource, every stack-level rule on all of
 * them. The engine passes property dependencies; the synth graph has values, so a property that holds
 * another resource's id is taken as a dependency on it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { guardrails } from "./pack";
import { Rule } from "./rules";

export interface Violation {
  rule: string;
  urn: string;
  message: string;
}

/**
 * What the offline check reads of a graph: the shape synth/synth.ts writes (declared here, so the pack's
 * folder does not import the synth's and the synth can import this runner).
 */
export interface GraphResource {
  urn: string;
  type: string;
  name: string;
  id?: string;
  inputs: Record<string, unknown>;
  options: { protect?: boolean; deleteBeforeReplace?: boolean; ignoreChanges?: string[] };
  /** A remote component's outputs (the synth records them; its children are made by its plugin). */
  outputs?: Record<string, unknown>;
  /** URN of the parent, as the synth records it. */
  parent?: string | null;
}
export interface SynthGraph {
  stack: string;
  resources: GraphResource[];
}

function isTypeOf(type: string) {
  return (cls: { __pulumiType?: string }) => cls.__pulumiType === type;
}

function policyResources(graph: SynthGraph): PolicyResource[] {
  const custom = graph.resources.filter((r) => !r.type.startsWith("pinterest-pipeline:"));
  const byId = new Map<string, PolicyResource>();
  const out = custom.map((r: GraphResource) => {
    const resource = {
      type: r.type,
      props: { ...r.inputs, ...(r.id !== undefined ? { id: r.id } : {}) },
      urn: r.urn,
      name: r.name,
      opts: {
        protect: r.options.protect === true,
        deleteBeforeReplace: r.options.deleteBeforeReplace,
        ignoreChanges: r.options.ignoreChanges ?? [],
        aliases: [],
        additionalSecretOutputs: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      },
      dependencies: [],
      propertyDependencies: {},
      isType: isTypeOf(r.type),
      asType: (cls: { __pulumiType?: string }) => (isTypeOf(r.type)(cls) ? r.inputs : undefined),
    } as unknown as PolicyResource;
    if (r.id !== undefined) byId.set(r.id, resource);
    return resource;
  });
  // A value of a remote component's outputs (awsx's vpcId) names the component, as an id names a resource;
  // it wins over a child with that id, as in the engine, where dependencies stop at a remote component.
  custom.forEach((r, i) => {
    for (const value of Object.values(r.outputs ?? {}).flat())
      if (typeof value === "string" && value !== "") byId.set(value, out[i]);
  });
  const byUrn = new Map(out.map((r) => [r.urn, r]));
  custom.forEach((r, i) => {
    const parent = r.parent ? byUrn.get(r.parent) : undefined;
    if (parent) (out[i] as { parent?: PolicyResource }).parent = parent;
  });
  for (const resource of out) {
    const deps: Record<string, PolicyResource[]> = {};
    for (const [key, value] of Object.entries(resource.props)) {
      if (key === "id") continue;
      const refs = (Array.isArray(value) ? value : [value])
        .filter((v): v is string => typeof v === "string")
        .map((v) => byId.get(v))
        .filter((d): d is PolicyResource => d !== undefined && d !== resource);
      if (refs.length > 0) deps[key] = refs;
    }
    resource.propertyDependencies = deps;
    resource.dependencies = [...new Set(Object.values(deps).flat())];
  }
  return out;
}

/** Per-rule config, as `--policy-pack-config` gives it: `{ "<rule>": { "<key>": value } }`. */
export type PolicyConfig = Record<string, Record<string, unknown>>;

/** The stack's policy config file (policy/config.<stack>.json), or {} when it has none. */
export function policyConfigFor(stack: string, dir = __dirname): PolicyConfig {
  const file = path.join(dir, `config.${stack}.json`);
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as PolicyConfig) : {};
}

/** A rule's config: the schema's defaults under what the file sets, as the engine merges them. */
function ruleConfig(rule: Rule, config: PolicyConfig): Record<string, unknown> {
  const defaults = Object.fromEntries(
    Object.entries(rule.configSchema?.properties ?? {}).flatMap(([key, spec]) =>
      (spec as { default?: unknown }).default === undefined
        ? []
        : [[key, (spec as { default?: unknown }).default]],
    ),
  );
  return { ...defaults, ...(config[rule.name] ?? {}) };
}

/** Every violation of the (suppression-filtered) rules in the graph, with the stack's policy config. */
export async function checkGraph(
  graph: SynthGraph,
  rules: Rule[] = guardrails(),
  config: PolicyConfig = policyConfigFor(graph.stack),
): Promise<Violation[]> {
  const resources = policyResources(graph);
  const violations: Violation[] = [];
  for (const rule of rules) {
    const report =
      (defaultUrn?: string): ReportViolation =>
      (message, urn) => {
        violations.push({ rule: rule.name, urn: urn ?? defaultUrn ?? "", message });
      };
    if ("validateResource" in rule) {
      const validations = Array.isArray(rule.validateResource)
        ? rule.validateResource
        : [rule.validateResource];
      for (const r of resources) {
        const args = {
          ...r,
          stackTags: new Map(),
          getConfig: () => ruleConfig(rule, config),
          notApplicable: () => undefined,
        } as unknown as ResourceValidationArgs;
        for (const validate of validations) await validate?.(args, report(r.urn));
      }
    } else {
      const args = {
        resources,
        stackTags: new Map(),
        getConfig: () => ruleConfig(rule, config),
        notApplicable: () => undefined,
      } as unknown as StackValidationArgs;
      await (rule as StackValidationPolicy).validateStack(args, report());
    }
  }
  return violations;
}
