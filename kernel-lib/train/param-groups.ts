/**
 * Splits a model's parameters into optimizer groups by name, e.g. a 10x lower learning rate for the
 * pretrained backbone than for the new `fc` head:
 *
 *   new SGD(parameterGroups(model.namedParameters(), [{ match: "fc.", lr: 1e-2 }], { lr: 1e-3 }), { momentum: 0.9 })
 *
 * A name goes to the first rule that matches; the rest form a final group with `rest`'s settings.
 */
import type { NamedParameters } from "./trainable-module";

/** A name prefix, a list of prefixes, exact names via a predicate. */
export type ParameterMatcher = string | string[] | ((name: string) => boolean);

export type GroupRule<Hyper> = Partial<Hyper> & { match: ParameterMatcher };

export function parameterGroups<Hyper extends object>(
  named: NamedParameters,
  rules: Array<GroupRule<Hyper>>,
  rest: Partial<Hyper> = {},
): Array<Partial<Hyper> & { params: NamedParameters }> {
  const groups = rules.map((rule) => {
    const { match, ...hyper } = rule;
    return { ...(hyper as Partial<Hyper>), params: [] as NamedParameters, matches: matcher(match) };
  });
  const remaining: NamedParameters = [];
  for (const entry of named) {
    const group = groups.find((candidate) => candidate.matches(entry[0]));
    (group ? group.params : remaining).push(entry);
  }
  groups.forEach((group, index) => {
    if (group.params.length === 0) {
      throw new Error(`parameterGroups: rule ${index} matches no parameter; check the name prefix against model.namedParameters()`);
    }
  });
  const result = groups.map(({ matches: _unused, ...group }) => group as Partial<Hyper> & { params: NamedParameters });
  if (remaining.length > 0) result.push({ ...rest, params: remaining });
  return result;
}

function matcher(match: ParameterMatcher): (name: string) => boolean {
  if (typeof match === "function") return match;
  const prefixes = typeof match === "string" ? [match] : match;
  return (name) => prefixes.some((prefix) => name.startsWith(prefix));
}
