// The function libraries (FUNCTION LOAD), replicated state like the script cache: changed
// only by applied entries, carried in snapshots as their code. Library and function names
// are matched without regard to case, as Redis does; listings keep load order.

import type { FunctionInfo } from './script-vm.js';

export interface FunctionLibrary {
  /** As given in the code's "#!lua name=..." line. */
  readonly name: string;
  readonly code: Uint8Array;
  /** SHA-1 of the code: tells a VM whether it has this version loaded. */
  readonly codeSha: string;
  readonly functions: readonly FunctionInfo[];
}

export interface FunctionEntry {
  readonly library: FunctionLibrary;
  readonly info: FunctionInfo;
}

export class FunctionStore {
  private readonly libraries = new Map<string, FunctionLibrary>();
  private readonly functions = new Map<string, FunctionEntry>();
  private bytes = 0;

  /** Bytes of the libraries' code (INFO used_memory_functions; part of the memory estimate). */
  get codeBytes(): number {
    return this.bytes;
  }

  get libraryCount(): number {
    return this.libraries.size;
  }

  get functionCount(): number {
    return this.functions.size;
  }

  library(name: string): FunctionLibrary | undefined {
    return this.libraries.get(name.toLowerCase());
  }

  function(name: string): FunctionEntry | undefined {
    return this.functions.get(name.toLowerCase());
  }

  /** The first function of `library` that another library (not one of the same name) already has. */
  collision(library: FunctionLibrary): string | null {
    for (const info of library.functions) {
      const owner = this.functions.get(info.name.toLowerCase());
      if (owner !== undefined && owner.library.name.toLowerCase() !== library.name.toLowerCase()) return info.name;
    }
    return null;
  }

  /** Adds `library`, replacing one of the same name. */
  put(library: FunctionLibrary): void {
    this.delete(library.name);
    this.libraries.set(library.name.toLowerCase(), library);
    this.bytes += library.code.length;
    for (const info of library.functions) this.functions.set(info.name.toLowerCase(), { library, info });
  }

  delete(name: string): boolean {
    const library = this.libraries.get(name.toLowerCase());
    if (library === undefined) return false;
    this.libraries.delete(name.toLowerCase());
    this.bytes -= library.code.length;
    for (const info of library.functions) this.functions.delete(info.name.toLowerCase());
    return true;
  }

  clear(): void {
    this.bytes = 0;
    this.libraries.clear();
    this.functions.clear();
  }

  all(): FunctionLibrary[] {
    return [...this.libraries.values()];
  }
}
