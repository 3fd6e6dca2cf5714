/**
 * Moving a resource into a child component changes its URN (the URN carries the parent's type chain), and
 * Pulumi would replace what is deployed. An alias naming the parent it had before keeps the deployed URN:
 * the engine finds the old state under the alias and updates it in place
 * (https://www.pulumi.com/docs/iac/concepts/options/aliases/).
 */
import * as pulumi from "@pulumi/pulumi";

/**
 * Options for the resources of a child component that were created under `formerParent` before it existed:
 * parented to the child, aliased to the URN they had under the former parent. With no former parent (the
 * child used on its own) they are simply the child's.
 */
export function movedInto(
  child: pulumi.Resource,
  formerParent: pulumi.Resource | undefined,
  /** The logical name it had there, when it was renamed too. */
  formerName?: string,
): pulumi.CustomResourceOptions {
  if (!formerParent) return { parent: child };
  return {
    parent: child,
    aliases: [
      formerName === undefined ? { parent: formerParent } : { parent: formerParent, name: formerName },
    ],
  };
}

/** Where a builder puts its resources: under a bare parent, or with a child component's options (above). */
export type ParentOrOptions = pulumi.Resource | pulumi.CustomResourceOptions;

/** The resource options for `where`. */
export function resourceOptions(where: ParentOrOptions): pulumi.CustomResourceOptions {
  return pulumi.Resource.isInstance(where) ? { parent: where } : where;
}
