/**
 * The rules with their suppressions applied: what the policy pack registers and what the offline check runs.
 * A suppressed violation is not reported; everything else is, at the pack's enforcement level.
 */
import type { ReportViolation, ResourceValidationPolicy } from "@pulumi/policy";
import { Rule, RULES } from "./rules";
import { Suppression, SUPPRESSIONS, suppressionFor, validateSuppressions } from "./suppressions";

function isResourceRule(rule: Rule): rule is ResourceValidationPolicy {
  return "validateResource" in rule;
}

/** The rules, each reporting only what no suppression covers. Throws on a bad suppression. */
export function guardrails(rules: Rule[] = RULES, suppressions: Suppression[] = SUPPRESSIONS): Rule[] {
  validateSuppressions(
    suppressions,
    rules.map((r) => r.name),
  );
  return rules.map((rule): Rule => {
    const filtered =
      (report: ReportViolation, defaultUrn?: string): ReportViolation =>
      (message, urn) => {
        if (suppressionFor(suppressions, rule.name, urn ?? defaultUrn) === undefined) report(message, urn);
      };
    if (isResourceRule(rule)) {
      const validate = rule.validateResource as Exclude<
        ResourceValidationPolicy["validateResource"],
        unknown[] | undefined
      >;
      return {
        ...rule,
        validateResource: (args, report) => validate(args, filtered(report, args.urn)),
      };
    }
    const stackRule = rule;
    return { ...stackRule, validateStack: (args, report) => stackRule.validateStack(args, filtered(report)) };
  });
}
