// The commands ACL rules can name, each with its categories: every registered command and
// every container's subcommands ('client|id'). Rules are applied against it when a user is
// set (so `+@read` means the read commands there are now, as Redis's bitmaps do), and users
// are described back through it. Every replica builds the same catalogue from the same rows,
// so users applied from the log come out the same everywhere.

import { commandCategories, subcommandCategories, type AclCategory, type CategorizedRow } from './command-categories.js';

export interface AclCommand {
  /** 'get', or 'client|id' for a subcommand. */
  readonly id: string;
  readonly categories: ReadonlySet<AclCategory>;
  /** A container's subcommands by name; null for other commands (their first arguments are free: `+select|0`). */
  readonly subcommands: ReadonlyMap<string, AclCommand> | null;
  readonly parent: AclCommand | null;
}

export class AclCatalogue {
  private readonly byId = new Map<string, AclCommand>();
  /** Top-level commands in registration order, each followed by its subcommands. */
  readonly commands: readonly AclCommand[];

  constructor(rows: readonly CategorizedRow[]) {
    const commands: AclCommand[] = [];
    for (const row of rows) {
      if (this.byId.has(row.name)) continue;
      const subcommands = new Map<string, AclCommand>();
      const command: AclCommand = { id: row.name, categories: new Set(commandCategories(row)), subcommands: null, parent: null };
      const subs = subcommandCategories(row.name);
      const entry: AclCommand = subs === null ? command : { ...command, subcommands };
      this.byId.set(entry.id, entry);
      commands.push(entry);
      for (const [sub, categories] of subs ?? []) {
        const child: AclCommand = { id: `${row.name}|${sub}`, categories: new Set(categories), subcommands: null, parent: entry };
        subcommands.set(sub, child);
        this.byId.set(child.id, child);
        commands.push(child);
      }
    }
    this.commands = commands;
  }

  /** By lowercase id: 'get' or 'client|id'. */
  lookup(id: string): AclCommand | undefined {
    return this.byId.get(id);
  }

  /** Commands and subcommands in `category`. */
  inCategory(category: AclCategory): AclCommand[] {
    return this.commands.filter((command) => command.categories.has(category));
  }

  /** What a call runs, for the permission check: the subcommand of a container, else the command. */
  target(name: string, sub: Uint8Array | undefined): AclCommand | undefined {
    const command = this.byId.get(name);
    if (command?.subcommands == null || sub === undefined) return command;
    return command.subcommands.get(Buffer.from(sub).toString('latin1').toLowerCase()) ?? command;
  }
}
