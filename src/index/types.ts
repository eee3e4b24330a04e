/**
 * The index that `pack` computes and a bundle carries: what depmod would write for the same tree,
 * as data. All strings are byte strings (latin1).
 */
export interface IndexModule {
  /** Normalised module name (from the file name, as depmod does). */
  readonly name: string;
  /** Path relative to the module directory, as stored (compression suffix included). */
  readonly path: string;
  /** Hard dependencies as indices into `modules`, in modules.dep order (users before providers). */
  readonly deps: readonly number[];
  /** Values of the module's `softdep=` fields, in .modinfo order. */
  readonly softdeps: readonly string[];
  /** Values of the module's `weakdep=` fields, in .modinfo order. */
  readonly weakdeps: readonly string[];
}

export interface IndexAlias {
  /** The pattern as the module declares it (modules.alias text). */
  readonly pattern: string;
  /** The pattern normalised for lookup (kmod's alias_normalize); undefined when invalid. */
  readonly key: string | undefined;
  /** Module index (which is also its priority) or, for builtin aliases, -1. */
  readonly module: number;
  /** The module's name (for builtin aliases, the builtin module). */
  readonly target: string;
}

export interface IndexSymbol {
  readonly name: string;
  readonly module: number;
}

export interface IndexDevname {
  readonly module: number;
  readonly devname: string;
  readonly type: "c" | "b";
  readonly major: number;
  readonly minor: number;
}

export interface ModuleIndex {
  readonly kernelVersion: string;
  /** In depmod order: modules.order first, in its order, then the rest by path. */
  readonly modules: readonly IndexModule[];
  /** In modules.alias order: module order, then .modinfo order. */
  readonly aliases: readonly IndexAlias[];
  /** Sorted by name bytes. */
  readonly symbols: readonly IndexSymbol[];
  /** Builtin module names, sorted. */
  readonly builtin: readonly string[];
  /** Aliases of builtin modules, in modules.builtin.modinfo order. */
  readonly builtinAliases: readonly IndexAlias[];
  readonly devnames: readonly IndexDevname[];
}
