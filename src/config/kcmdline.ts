import { underscores, Warn } from "./parse";
import { MutableConfig } from "./types";

/**
 * The kernel command line's module options (libkmod-config.c kmod_config_parse_kcmdline):
 * "mod.param[=value]" adds "param[=value]" to mod's options, "modprobe.blacklist=a,b" blacklists
 * a and b (not normalised). A '.' splits the module name from the parameter; '=' before the '.'
 * or a second '.' invalidates the token; spaces are allowed only inside a quoted value; a quote
 * is allowed only as the token's first character or inside the value, and a token quoted as a
 * whole is re-quoted as mod.param="value".
 */
export function parseKernelCmdline(config: MutableConfig, cmdline: string, warn: Warn): void {
  if (!cmdline.includes('"')) {
    parseUnquoted(config, cmdline, warn);
    return;
  }
  const buf = cmdline + "\0";
  type State = "ignore" | "modname" | "param" | "value";
  let state: State = "modname";
  let isQuoted = false;
  let quoteStart = -1;
  let modname = 0;
  let modnameEnd = -1;
  let param = -1;
  let value = -1;
  for (let p = 0; p < buf.length; p++) {
    const c = buf[p];
    let complete = false;
    if (c === '"') {
      isQuoted = !isQuoted;
      if (isQuoted && state === "modname" && p === modname) {
        quoteStart = p;
        modname = p + 1;
      } else if (state !== "value") {
        state = "ignore";
      }
    } else if (c === "\0" || c === " " || c === "\n" || c === "\t" || c === "\v" || c === "\f" || c === "\r") {
      if (isQuoted && state === "value") {
        // a space inside a quoted value
      } else if (isQuoted) {
        state = "ignore";
      } else if (state === "value" || state === "param") {
        complete = true;
      } else {
        modname = p + 1;
        state = "modname";
        quoteStart = -1;
      }
    } else if (c === ".") {
      if (state === "modname") {
        modnameEnd = p;
        param = p + 1;
        state = "param";
      } else if (state === "param") {
        state = "ignore";
      }
    } else if (c === "=") {
      if (state === "param") {
        value = p + 1;
        state = "value";
      } else if (state === "modname") {
        state = "ignore";
      }
    }
    if (complete) {
      const name = buf.slice(modname, modnameEnd);
      let paramText = buf.slice(param, p);
      if (quoteStart >= 0 && quoteStart < modname && state === "value") {
        // "mod.param=a b" -> mod.param="a b": the quote moves to the value.
        const key = buf.slice(param, value);
        paramText = `${key}"${buf.slice(value, p)}`;
      }
      addResult(config, name, paramText, state === "value" ? buf.slice(value, p) : undefined, warn);
      modname = p + 1;
      state = "modname";
      quoteStart = -1;
      value = -1;
    }
  }
}

/**
 * The same rules for a command line without quotes (nearly all of them), token by token: a token
 * is "mod.param" or "mod.param=value" with no '=' in mod and no '.' in param; others are skipped.
 */
function parseUnquoted(config: MutableConfig, cmdline: string, warn: Warn): void {
  for (const token of cmdline.split(/[ \t\n\v\f\r]+/)) {
    const dot = token.indexOf(".");
    if (dot < 0) continue;
    const eq = token.indexOf("=");
    if (eq >= 0 && eq < dot) continue;
    const paramEnd = eq < 0 ? token.length : eq;
    if (token.indexOf(".", dot + 1) >= 0 && token.indexOf(".", dot + 1) < paramEnd) continue;
    addResult(config, token.slice(0, dot), token.slice(dot + 1), eq < 0 ? undefined : token.slice(eq + 1), warn);
  }
}

function addResult(config: MutableConfig, modname: string, param: string, value: string | undefined, warn: Warn): void {
  if (modname === "modprobe" && param.startsWith("blacklist=")) {
    for (const name of (value ?? "").split(",")) config.blacklists.push(name);
    return;
  }
  const module = underscores(modname);
  if (module === undefined) {
    warn(`Ignoring bad option on kernel command line while parsing module name: '${modname}'`);
    return;
  }
  config.options.push({ module, options: param.replace(/\t/g, " ") });
}
