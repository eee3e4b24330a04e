import { InfoField } from "./modinfo";
import { collectParams } from "./params";

/**
 * modinfo's output layout (tools/modinfo.c modinfo_do). By default every line is "key:" padded to
 * 16 columns and the value; printf("%s:%-*s", key, 15 - strlen(key), "") pads a key longer than
 * 15 characters by the difference too (a negative width is a left-justified positive one). With
 * -0 each entry is "key=value\0", except the name, filename and parm lines, which keep the padded
 * form. With -F only the values of that key are printed, each followed by the separator.
 */
export interface LayoutOptions {
  /** -F FIELD (or -a, -d, -l, -p, -n); compared case-sensitively, as kmod does. */
  readonly field: string | undefined;
  readonly separator: "\n" | "\0";
}

function padded(key: string, value: string, separator: string): string {
  return `${key}:${" ".repeat(Math.abs(15 - key.length))}${value}${separator}`;
}

export interface Header {
  readonly text: string;
  /** -F filename: nothing more is printed, and the module's information is not even read. */
  readonly done: boolean;
}

/** The "name:" (builtin) and "filename:" lines; `filename` undefined for a builtin module. */
export function formatHeader(name: string, filename: string | undefined, o: LayoutOptions): Header {
  let text = "";
  if (filename === undefined) {
    if (o.field === undefined) text += padded("name", name, o.separator);
    else if (o.field === "name") text += name + o.separator;
  }
  const shown = filename ?? "(builtin)";
  if (o.field === "filename") return { text: text + shown + o.separator, done: true };
  if (o.field === undefined) text += padded("filename", shown, o.separator);
  return { text, done: false };
}

export interface Body {
  readonly text: string;
  /** Messages for stderr ("Found invalid ..."), without the program prefix. */
  readonly errors: readonly string[];
}

/** The module's information after the header. */
export function formatFields(fields: readonly InfoField[], o: LayoutOptions): Body {
  const sep = o.separator;
  if (o.field === "parm") {
    const { params, errors } = collectParams(fields);
    const text = params
      .map((p) => {
        if (p.description === undefined) return `${p.name}: (${p.type ?? ""})${sep}`;
        if (p.type !== undefined) return `${p.name}:${p.description} (${p.type})${sep}`;
        return `${p.name}:${p.description}${sep}`;
      })
      .join("");
    return { text, errors };
  }
  if (o.field !== undefined) {
    return { text: fields.filter((f) => f.key === o.field).map((f) => f.value + sep).join(""), errors: [] };
  }
  let text = "";
  for (const { key, value } of fields) {
    if (key === "parm" || key === "parmtype") continue;
    text += sep === "\0" ? `${key}=${value}\0` : padded(key, value, sep);
  }
  const { params, errors } = collectParams(fields);
  for (const p of params) {
    if (p.description === undefined) text += padded("parm", `${p.name}:${p.type ?? ""}`, sep);
    else if (p.type !== undefined) text += padded("parm", `${p.name}:${p.description} (${p.type})`, sep);
    else text += padded("parm", `${p.name}:${p.description}`, sep);
  }
  return { text, errors };
}
