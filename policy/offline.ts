/**
 * Runs the guardrails over an offline synth graph (synth/synth.ts), the way the Pulumi engine runs a policy
 * pack during `pulumi preview`: every resource-level rule on each resource, every stack-level rule on all of
 * them. The engine passes property dependencies; the synth graph has values, so a property that holds
 * another resource's id is taken as a dependency on it.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { SynthGraph } from "../synth/synth";
import { guardrails } from "./pack";
import { Rule } from "./rules";

export interface Violation {
  rule: string;
  urn: string;
  message: string;
}

type GraphResource = SynthGraph["resources"][number];

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
        protect: false,
        ignoreChanges: [],
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

/** Every violation of the (suppression-filtered) rules in the graph. */
export async function checkGraph(graph: SynthGraph, rules: Rule[] = guardrails()): Promise<Violation[]> {
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
          getConfig: () => ({}),
          notApplicable: () => undefined,
        } as unknown as ResourceValidationArgs;
        for (const validate of validations) await validate?.(args, report(r.urn));
      }
    } else {
      const args = {
        resources,
        stackTags: new Map(),
        getConfig: () => ({}),
        notApplicable: () => undefined,
      } as unknown as StackValidationArgs;
      await (rule as StackValidationPolicy).validateStack(args, report());
    }
  }
  return violations;
}
