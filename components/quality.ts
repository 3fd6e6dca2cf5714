/**
 * The jobs' field rules and the per-rule policy the stack passes them (config key `qualityPolicy`). The
 * rules themselves live in jobs/src/pinterest_jobs/cleaning.py; qualityRules.json lists their ids for the
 * program, and test_cleaning checks the two agree.
 */
import rules from "./qualityRules.json";

export const QUALITY_ACTIONS = ["null", "drop"] as const;
export type QualityAction = (typeof QUALITY_ACTIONS)[number];

export const QUALITY_RULE_IDS = rules.rules.map((r) => r.rule) as [string, ...string[]];

/** Rule id -> action; a rule not named keeps the default, "null". */
export type QualityPolicy = Partial<Record<string, QualityAction>>;

/** The jobs' `--quality-policy` argument: every rule named, so a job run shows the policy it applied. */
export function qualityPolicyParameter(policy: QualityPolicy): string {
  return JSON.stringify(Object.fromEntries(QUALITY_RULE_IDS.map((rule) => [rule, policy[rule] ?? "null"])));
}
