/**
 * What holds the pipeline's data or guards it, protected from deletion on stacks that ask for it (config
 * `protectStatefulResources`). Applied to the top-level components, whose children inherit it.
 *
 * `protect`: an operation that would delete the resource (destroy, or a replacement) fails instead; lifting
 * it is a deliberate `pulumi state unprotect`. `retainOnDelete`: if it is deleted from the stack anyway, the
 * cloud resource stays. (Pulumi's resource options, https://www.pulumi.com/docs/iac/concepts/options/protect/
 * and .../retainondelete/.)
 */
import * as pulumi from "@pulumi/pulumi";
import { NAMED_TYPES, STATEFUL_TYPES } from "../policy/resourceClasses";

export { NAMED_TYPES, STATEFUL_TYPES };

/** A transformation replacing the hard-named resources delete-first. */
export const replaceNamedDeleteFirst: pulumi.ResourceTransformation = ({ type, props, opts }) => {
  const key = NAMED_TYPES.get(type);
  return key !== undefined && props[key] !== undefined
    ? { props, opts: pulumi.mergeOptions(opts, { deleteBeforeReplace: true }) }
    : undefined;
};

/** A transformation marking the stateful resources `protect` and `retainOnDelete`; none when disabled. */
export function protectStateful(enabled: boolean): pulumi.ResourceTransformation[] {
  if (!enabled) return [];
  return [
    ({ type, props, opts }) =>
      STATEFUL_TYPES.has(type)
        ? { props, opts: pulumi.mergeOptions(opts, { protect: true, retainOnDelete: true }) }
        : undefined,
  ];
}
