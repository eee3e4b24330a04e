/** modprobe's configuration: every entry in parse order (files sorted by name, then the kernel command line). */
export interface ConfigAlias {
  /** The pattern, '-' turned into '_' outside brackets (kmod's underscores()). */
  readonly pattern: string;
  readonly module: string;
}

export interface ConfigOptions {
  readonly module: string;
  /** Tabs turned into spaces. */
  readonly options: string;
}

export interface ConfigCommand {
  /** A module name or fnmatch pattern. */
  readonly module: string;
  readonly command: string;
}

export interface ConfigSoftdep {
  readonly module: string;
  readonly pre: readonly string[];
  readonly post: readonly string[];
  /** The line as `modprobe -c` prints it (kmod's softdep_to_char). */
  readonly text: string;
}

export interface ConfigWeakdep {
  readonly module: string;
  readonly deps: readonly string[];
}

export interface ModprobeConfig {
  readonly blacklists: readonly string[];
  readonly installs: readonly ConfigCommand[];
  readonly removes: readonly ConfigCommand[];
  readonly aliases: readonly ConfigAlias[];
  readonly options: readonly ConfigOptions[];
  readonly softdeps: readonly ConfigSoftdep[];
  readonly weakdeps: readonly ConfigWeakdep[];
}

export interface MutableConfig {
  blacklists: string[];
  installs: ConfigCommand[];
  removes: ConfigCommand[];
  aliases: ConfigAlias[];
  options: ConfigOptions[];
  softdeps: ConfigSoftdep[];
  weakdeps: ConfigWeakdep[];
}

export function emptyConfig(): MutableConfig {
  return { blacklists: [], installs: [], removes: [], aliases: [], options: [], softdeps: [], weakdeps: [] };
}
