/**
 * The pinterest-pipeline guardrails as a Pulumi policy pack, mandatory by default:
 *   pulumi preview --policy-pack policy   (from the repository root, after `npm ci` there)
 * The rules are in rules.ts, the deliberate exceptions (each with its reason) in suppressions.ts.
 */
import { PolicyPack } from "@pulumi/policy";
import { guardrails } from "./pack";

new PolicyPack("pinterest-pipeline-guardrails", {
  description:
    "Security and operability guardrails for the pinterest-pipeline stacks (Security Hub FSBP, cdk-nag AwsSolutions).",
  enforcementLevel: "mandatory",
  policies: guardrails(),
});
