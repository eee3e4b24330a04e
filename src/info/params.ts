import { InfoField } from "./modinfo";

/**
 * modinfo's parameters: "parm=NAME:DESCRIPTION" and "parmtype=NAME:TYPE" merged per name. kmod
 * keeps them in a list it prepends to, so they come out in the reverse order of each name's first
 * appearance; a later description or type of the same name replaces the earlier one.
 */
export interface Param {
  readonly name: string;
  readonly description: string | undefined;
  readonly type: string | undefined;
}

export interface Params {
  readonly params: readonly Param[];
  /** kmod's complaints about entries without ':', in order. */
  readonly errors: readonly string[];
}

export function collectParams(fields: readonly InfoField[]): Params {
  const byName = new Map<string, { name: string; description?: string; type?: string }>();
  const errors: string[] = [];
  for (const { key, value } of fields) {
    if (key !== "parm" && key !== "parmtype") continue;
    const colon = value.indexOf(":");
    if (colon < 0) {
      errors.push(`Found invalid "${key}=${value}": missing ':'`);
      continue;
    }
    const name = value.slice(0, colon);
    let param = byName.get(name);
    if (!param) byName.set(name, (param = { name }));
    if (key === "parm") param.description = value.slice(colon + 1);
    else param.type = value.slice(colon + 1);
  }
  const params = [...byName.values()].reverse().map((p) => ({ name: p.name, description: p.description, type: p.type }));
  return { params, errors };
}
