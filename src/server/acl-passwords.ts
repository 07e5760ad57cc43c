// Passwords never travel the log in clear: before an ACL SETUSER (or an ACL file's lines) is
// proposed, each `>password` becomes `#<sha256 hex>` and each `<password` becomes
// `!<sha256 hex>`, which the state machine stores and compares, as Redis stores them.

import { createHash } from 'node:crypto';

export function passwordHash(password: Buffer | string): string {
  return createHash('sha256').update(password).digest('hex');
}

/** ACL SETUSER rules with every clear-text password rule replaced by its hash form. */
export function hashPasswordRules(rules: readonly Buffer[]): string[] {
  return rules.map((rule) => {
    const first = rule[0];
    if (first === 0x3e /* > */) return `#${passwordHash(rule.subarray(1))}`;
    if (first === 0x3c /* < */) return `!${passwordHash(rule.subarray(1))}`;
    return rule.toString('latin1');
  });
}

/** An error about a rewritten rule names the rule as the client gave it, as Redis's does. */
export function originalModifier(message: string, hashed: readonly string[], given: readonly Buffer[]): string {
  for (const [index, rule] of hashed.entries()) {
    const original = given[index]?.toString('latin1');
    if (original !== undefined && original !== rule) message = message.replace(`'${rule}'`, `'${original}'`);
  }
  return message;
}
