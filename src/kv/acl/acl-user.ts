// One ACL user as Redis 7.0 keeps it: on/off, its password hashes (SHA-256, hex; the server
// hashes `>password` before a rule reaches the log, so no password is ever stored or logged
// in clear), nopass, the payload-sanitizing flag, its root selector and extra selectors. A
// user is changed by ACL SETUSER rules, applied to a copy so that a bad rule changes nothing.

import type { AclCatalogue } from './acl-catalogue.js';
import { ACL_RULE_ERRORS, AclRuleError, AclSelector } from './acl-selector.js';

export class AclSetUserError extends Error {}

const hashPattern = /^[0-9a-f]{64}$/;

export class AclUser {
  enabled = false;
  nopass = false;
  /** 'sanitize-payload', 'skip-sanitize-payload', or null when never set. */
  sanitize: 'sanitize-payload' | 'skip-sanitize-payload' | null = null;
  /** Password hashes in the order added. */
  passwords: string[] = [];
  root = new AclSelector();
  selectors: AclSelector[] = [];

  constructor(readonly name: string) {}

  clone(): AclUser {
    const copy = new AclUser(this.name);
    copy.enabled = this.enabled;
    copy.nopass = this.nopass;
    copy.sanitize = this.sanitize;
    copy.passwords = [...this.passwords];
    copy.root = this.root.clone();
    copy.selectors = this.selectors.map((selector) => selector.clone());
    return copy;
  }

  /** No check is needed for this user's calls. */
  get unrestricted(): boolean {
    return this.root.unrestricted;
  }

  /** This user after `rules` (one ACL SETUSER's arguments); throws AclSetUserError with Redis's reply text. */
  withRules(rules: readonly string[], catalogue: AclCatalogue): AclUser {
    const next = this.clone();
    for (const rule of mergeSelectorArguments(rules)) {
      try {
        next.apply(rule, catalogue);
      } catch (error) {
        if (error instanceof AclRuleError) throw new AclSetUserError(`ERR Error in ACL SETUSER modifier '${rule}': ${error.message}`);
        throw error;
      }
    }
    return next;
  }

  private apply(rule: string, catalogue: AclCatalogue): void {
    const lower = rule.toLowerCase();
    if (rule.startsWith('(') && rule.endsWith(')')) {
      const selector = new AclSelector();
      for (const inner of rule.slice(1, -1).split(' ').filter((part) => part !== '')) {
        if (!selector.apply(inner, catalogue)) throw new AclRuleError(ACL_RULE_ERRORS.syntax);
      }
      this.selectors.push(selector);
    } else if (lower === 'on') this.enabled = true;
    else if (lower === 'off') this.enabled = false;
    else if (lower === 'nopass') {
      this.nopass = true;
      this.passwords = [];
    } else if (lower === 'resetpass') {
      this.nopass = false;
      this.passwords = [];
    } else if (lower === 'sanitize-payload' || lower === 'skip-sanitize-payload') this.sanitize = lower;
    else if (lower === 'clearselectors') this.selectors = [];
    else if (lower === 'reset') this.reset(catalogue);
    else if (rule.startsWith('#')) this.addHash(rule.slice(1));
    else if (rule.startsWith('!')) this.removeHash(rule.slice(1));
    else if (!this.root.apply(rule, catalogue)) throw new AclRuleError(ACL_RULE_ERRORS.syntax);
  }

  /** Redis's `reset`: resetpass resetkeys resetchannels off clearselectors -@all sanitize-payload. */
  private reset(catalogue: AclCatalogue): void {
    this.passwords = [];
    this.nopass = false;
    this.enabled = false;
    this.selectors = [];
    this.sanitize = 'sanitize-payload';
    for (const rule of ['resetkeys', 'resetchannels', '-@all']) this.root.apply(rule, catalogue);
  }

  private addHash(hash: string): void {
    if (!hashPattern.test(hash)) throw new AclRuleError(ACL_RULE_ERRORS.badHash);
    this.nopass = false;
    if (!this.passwords.includes(hash)) this.passwords.push(hash);
  }

  private removeHash(hash: string): void {
    if (!hashPattern.test(hash)) throw new AclRuleError(ACL_RULE_ERRORS.badHash);
    const index = this.passwords.indexOf(hash);
    if (index < 0) throw new AclRuleError(ACL_RULE_ERRORS.noSuchPassword);
    this.passwords.splice(index, 1);
  }

  /** Whether `hash` (the SHA-256 hex of a given password) logs this user in. */
  accepts(hash: string): boolean {
    return this.enabled && (this.nopass || this.passwords.includes(hash));
  }

  /** Flags as GETUSER lists them. */
  flags(): string[] {
    const flags = [this.enabled ? 'on' : 'off'];
    if (this.nopass) flags.push('nopass');
    if (this.sanitize !== null) flags.push(this.sanitize);
    return flags;
  }

  /** The user as one ACL LIST line (and one ACL file line). */
  describe(catalogue: AclCatalogue): string {
    const parts = ['user', this.name, ...this.flags(), ...this.passwords.map((hash) => `#${hash}`), this.root.describe(catalogue)];
    for (const selector of this.selectors) parts.push(`(${selector.describe(catalogue)})`);
    return parts.filter((part) => part !== '').join(' ');
  }
}

/**
 * Joins a selector given over several arguments ("(~a", "+get)") into one, as Redis does;
 * an opening parenthesis never closed is Redis's error.
 */
export function mergeSelectorArguments(rules: readonly string[]): string[] {
  const out: string[] = [];
  let open: string | null = null;
  for (const rule of rules) {
    if (open !== null) {
      open += ` ${rule}`;
      if (rule.endsWith(')')) {
        out.push(open);
        open = null;
      }
    } else if (rule.startsWith('(') && !rule.endsWith(')')) open = rule;
    else out.push(rule);
  }
  if (open !== null) throw new AclSetUserError(`ERR Unmatched parenthesis in acl selector starting at '${open.split(' ')[0] ?? ''}'.`);
  return out;
}

/** Redis's rule for user names. */
export function validUserName(name: string): boolean {
  return !/[\s\0]/.test(name);
}
