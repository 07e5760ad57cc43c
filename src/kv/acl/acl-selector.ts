// One ACL selector, Redis 7.0's unit of permission: the commands it allows (a set over the
// catalogue, like Redis's bitmap, plus allowed first arguments such as `+select|0`), the key
// patterns with their read/write flags, and the channel patterns. A user has a root selector
// and any number of extra ones ("(+get ~app:*)"); a call is allowed if one selector allows it.

import type { AclCatalogue, AclCommand } from './acl-catalogue.js';
import { ACL_CATEGORIES, isAclCategory, type AclCategory } from './command-categories.js';
import { globMatch } from '../glob.js';

/** Why a rule was refused: Redis's texts (acl.c ACLSetUserStringError). */
export const ACL_RULE_ERRORS = {
  unknown: 'Unknown command or category name in ACL',
  syntax: 'Syntax error',
  keysAfterAll: "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
  channelsAfterAll: "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
  noSuchPassword: 'The password you are trying to remove from the user does not exist',
  badHash: 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters',
  subcommandFirstArg: 'Allowing first-arg of a subcommand is not supported',
} as const;

export class AclRuleError extends Error {}

export const READ = 1;
export const WRITE = 2;
export const READ_WRITE = READ | WRITE;

export interface KeyPattern {
  readonly pattern: string;
  /** The pattern's bytes, made once: the check runs for every key of every call. */
  readonly bytes: Uint8Array;
  /** READ, WRITE or both. */
  flags: number;
}

const latin1 = (text: string): Uint8Array => Buffer.from(text, 'latin1');

export class AclSelector {
  /** Ids of the commands and subcommands allowed. */
  allowed = new Set<string>();
  /** Set by +@all (allcommands): commands added later are allowed too; described as "+@all ...". */
  future = false;
  /** Allowed first arguments of commands not allowed whole (`+select|0`), by command id. */
  firstArgs = new Map<string, Set<string>>();
  allKeys = false;
  keys: KeyPattern[] = [];
  allChannels = false;
  channels: string[] = [];

  clone(): AclSelector {
    const copy = new AclSelector();
    copy.allowed = new Set(this.allowed);
    copy.future = this.future;
    copy.firstArgs = new Map([...this.firstArgs].map(([id, args]) => [id, new Set(args)]));
    copy.allKeys = this.allKeys;
    copy.keys = this.keys.map((key) => ({ ...key }));
    copy.allChannels = this.allChannels;
    copy.channels = [...this.channels];
    return copy;
  }

  /** True when the selector allows everything: no check is needed for its user's calls. */
  get unrestricted(): boolean {
    return this.future && this.allKeys && this.allChannels && this.firstArgs.size === 0;
  }

  /** Applies one selector rule; throws AclRuleError with Redis's reason. False if `rule` is not a selector rule. */
  apply(rule: string, catalogue: AclCatalogue): boolean {
    const lower = rule.toLowerCase();
    if (lower === 'allkeys' || rule === '~*') this.setAllKeys();
    else if (lower === 'resetkeys') this.resetKeys();
    else if (lower === 'allchannels' || rule === '&*') this.setAllChannels();
    else if (lower === 'resetchannels') this.resetChannels();
    else if (lower === 'allcommands' || lower === '+@all') this.setAllCommands(catalogue, true);
    else if (lower === 'nocommands' || lower === '-@all') this.setAllCommands(catalogue, false);
    else if (rule.startsWith('~')) this.addKeyPattern(rule.slice(1), READ_WRITE);
    else if (rule.startsWith('%')) this.addFlaggedKeyPattern(rule);
    else if (rule.startsWith('&')) this.addChannel(rule.slice(1));
    else if (rule.startsWith('+@') || rule.startsWith('-@')) this.applyCategory(lower.slice(2), rule[0] === '+', catalogue);
    else if (rule.startsWith('+') || rule.startsWith('-')) this.applyCommand(lower.slice(1), rule[0] === '+', catalogue);
    else return false;
    return true;
  }

  private setAllKeys(): void {
    this.allKeys = true;
    this.keys = [];
  }

  private resetKeys(): void {
    this.allKeys = false;
    this.keys = [];
  }

  private setAllChannels(): void {
    this.allChannels = true;
    this.channels = [];
  }

  private resetChannels(): void {
    this.allChannels = false;
    this.channels = [];
  }

  private setAllCommands(catalogue: AclCatalogue, allow: boolean): void {
    this.allowed = allow ? new Set(catalogue.commands.map((command) => command.id)) : new Set();
    this.future = allow;
    this.firstArgs.clear();
  }

  /** `%R~pattern`, `%W~pattern`, `%RW~pattern`. */
  private addFlaggedKeyPattern(rule: string): void {
    const tilde = rule.indexOf('~');
    if (tilde < 2) throw new AclRuleError(ACL_RULE_ERRORS.syntax);
    let flags = 0;
    for (const letter of rule.slice(1, tilde).toUpperCase()) {
      const flag = letter === 'R' ? READ : letter === 'W' ? WRITE : 0;
      if (flag === 0 || (flags & flag) !== 0) throw new AclRuleError(ACL_RULE_ERRORS.syntax);
      flags |= flag;
    }
    this.addKeyPattern(rule.slice(tilde + 1), flags);
  }

  private addKeyPattern(pattern: string, flags: number): void {
    if (this.allKeys) throw new AclRuleError(ACL_RULE_ERRORS.keysAfterAll);
    if (pattern.includes(' ')) throw new AclRuleError(ACL_RULE_ERRORS.syntax);
    const existing = this.keys.find((key) => key.pattern === pattern);
    if (existing === undefined) this.keys.push({ pattern, bytes: latin1(pattern), flags });
    else existing.flags |= flags;
  }

  private addChannel(pattern: string): void {
    if (this.allChannels) throw new AclRuleError(ACL_RULE_ERRORS.channelsAfterAll);
    if (pattern.includes(' ')) throw new AclRuleError(ACL_RULE_ERRORS.syntax);
    if (pattern === '*') return this.setAllChannels();
    if (!this.channels.includes(pattern)) this.channels.push(pattern);
  }

  private applyCategory(name: string, allow: boolean, catalogue: AclCatalogue): void {
    if (name === 'all') return this.setAllCommands(catalogue, allow);
    if (!isAclCategory(name)) throw new AclRuleError(ACL_RULE_ERRORS.unknown);
    for (const command of catalogue.inCategory(name)) this.setCommand(command, allow, false);
  }

  /** `+cmd`, `-cmd`, `+container|sub`, `-container|sub`, `+cmd|firstarg`. */
  private applyCommand(spec: string, allow: boolean, catalogue: AclCatalogue): void {
    const bar = spec.indexOf('|');
    if (bar < 0) {
      const command = catalogue.lookup(spec);
      if (command === undefined || command.parent !== null) throw new AclRuleError(ACL_RULE_ERRORS.unknown);
      return this.setCommand(command, allow, true);
    }
    const parent = catalogue.lookup(spec.slice(0, bar));
    const rest = spec.slice(bar + 1);
    if (parent === undefined || parent.parent !== null || rest === '') throw new AclRuleError(ACL_RULE_ERRORS.unknown);
    if (parent.subcommands !== null) {
      const [sub = '', ...more] = rest.split('|');
      const child = parent.subcommands.get(sub);
      if (child === undefined) throw new AclRuleError(ACL_RULE_ERRORS.unknown);
      if (more.length > 0) throw new AclRuleError(allow ? ACL_RULE_ERRORS.subcommandFirstArg : ACL_RULE_ERRORS.unknown);
      return this.setCommand(child, allow, true);
    }
    // A first argument: only allowed (never denied), and only one level deep.
    if (!allow || rest.includes('|')) throw new AclRuleError(ACL_RULE_ERRORS.unknown);
    if (this.allowed.has(parent.id)) return;
    let args = this.firstArgs.get(parent.id);
    if (args === undefined) this.firstArgs.set(parent.id, (args = new Set()));
    args.add(rest);
  }

  /** Allows or denies a command and (with `withSubcommands`, as +cmd does) its subcommands. */
  setCommand(command: AclCommand, allow: boolean, withSubcommands: boolean): void {
    if (allow) this.allowed.add(command.id);
    else this.allowed.delete(command.id);
    this.firstArgs.delete(command.id);
    if (withSubcommands) for (const child of command.subcommands?.values() ?? []) this.setCommand(child, allow, false);
  }

  /** May this selector run `command` (a command or subcommand) called with `firstArg`? */
  allowsCommand(command: AclCommand, firstArg: Uint8Array | undefined): boolean {
    if (this.allowed.has(command.id)) return true;
    const args = this.firstArgs.get(command.id);
    return args !== undefined && firstArg !== undefined && args.has(Buffer.from(firstArg).toString('latin1').toLowerCase());
  }

  /** May this selector access `key` with `flags` (READ and/or WRITE; 0 = only its name, as EXISTS)? */
  allowsKey(key: Uint8Array, flags: number): boolean {
    if (this.allKeys) return true;
    for (const pattern of this.keys) if ((pattern.flags & flags) === flags && globMatch(pattern.bytes, key)) return true;
    return false;
  }

  /** Whether every key may be read: allkeys, ~* or %R~* (Redis's ACLSelectorHasUnrestrictedKeyAccess for reads). */
  readsEveryKey(): boolean {
    return this.allKeys || this.keys.some((key) => key.pattern === '*' && (key.flags & READ) === READ);
  }

  /** May this selector use `channel` (a literal name; for PSUBSCRIBE the pattern itself must be listed)? */
  allowsChannel(channel: Uint8Array, isPattern: boolean): boolean {
    if (this.allChannels) return true;
    const text = Buffer.from(channel).toString('latin1');
    return this.channels.some((pattern) => (isPattern ? pattern === text : globMatch(latin1(pattern), channel)));
  }

  /** The key patterns as ACL rules: "~*" or "~a %R~b %W~c". */
  describeKeys(): string {
    if (this.allKeys) return '~*';
    return this.keys.map((key) => `${key.flags === READ_WRITE ? '' : key.flags === READ ? '%R' : '%W'}~${key.pattern}`).join(' ');
  }

  /** The channel patterns as GETUSER shows them: "&*", "&a &b" or "". */
  describeChannels(): string {
    return this.allChannels ? '&*' : this.channels.map((channel) => `&${channel}`).join(' ');
  }

  /** Key, channel and command rules, as ACL LIST prints a selector. */
  describe(catalogue: AclCatalogue): string {
    const channels = this.allChannels ? '&*' : ['resetchannels', ...this.channels.map((channel) => `&${channel}`)].join(' ');
    return [this.describeKeys(), channels, this.describeCommands(catalogue)].filter((part) => part !== '').join(' ');
  }

  /**
   * The command rules, found as Redis 7.0 finds them: start from +@all or -@all, then
   * repeatedly apply the category that fits best (more of its commands agree than not, fewest
   * disagree), then the single commands and first arguments still different. Applying the
   * result to a new selector gives this one's set.
   */
  describeCommands(catalogue: AclCatalogue): string {
    const additive = !this.future;
    const rules = [additive ? '-@all' : '+@all'];
    const fake = new AclSelector();
    fake.setAllCommands(catalogue, !additive);
    const temp = new Set(this.allowed);
    const applied = new Set<AclCategory>();
    for (;;) {
      let best: { category: AclCategory; diff: number; same: number } | null = null;
      for (const category of ACL_CATEGORIES) {
        if (applied.has(category)) continue;
        const members = catalogue.inCategory(category);
        const on = members.filter((command) => temp.has(command.id)).length;
        const [same, diff] = additive ? [on, members.length - on] : [members.length - on, on];
        if (same > diff && (best === null || diff < best.diff || (diff === best.diff && same > best.same))) best = { category, diff, same };
      }
      if (best === null) break;
      for (const command of catalogue.inCategory(best.category)) {
        fake.setCommand(command, additive, false);
        if (additive) temp.delete(command.id);
        else temp.add(command.id);
      }
      applied.add(best.category);
      rules.push(`${additive ? '+' : '-'}@${best.category}`);
    }
    for (const command of catalogue.commands) {
      const mine = this.allowed.has(command.id);
      if (mine !== fake.allowed.has(command.id)) {
        rules.push(`${mine ? '+' : '-'}${command.id}`);
        fake.setCommand(command, mine, true);
      }
      if (!mine) for (const arg of this.firstArgs.get(command.id) ?? []) rules.push(`+${command.id}|${arg}`);
    }
    return rules.join(' ');
  }
}

export type { AclCategory };
