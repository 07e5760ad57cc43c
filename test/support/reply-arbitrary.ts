// Random replies of every kind, nested: for round trips through the RESP writer and parser
// and through the binary reply codec (exactly-once table, forwarded replies).

import fc from 'fast-check';
import type { Reply } from '../../src/base/reply.js';

const line = fc.string().filter((s) => !/[\r\n]/.test(s));

const scalar: fc.Arbitrary<Reply> = fc.oneof(
  line.map((value): Reply => ({ kind: 'simple', value })),
  line.map((message): Reply => ({ kind: 'error', message })),
  fc.maxSafeInteger().map((value): Reply => ({ kind: 'integer', value })),
  fc.uint8Array({ maxLength: 50 }).map((bytes): Reply => ({ kind: 'bulk', value: Buffer.from(bytes) })),
  fc.double().map((value): Reply => ({ kind: 'double', value })),
  fc.boolean().map((value): Reply => ({ kind: 'boolean', value })),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map((value): Reply => ({ kind: 'bignum', value })),
  fc.string().map((value): Reply => ({ kind: 'verbatim', format: 'txt', value })),
  fc.constant<Reply>({ kind: 'null' }),
);

export const replyArbitrary: fc.Arbitrary<Reply> = fc.letrec<{ value: Reply }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }).map((items): Reply => ({ kind: 'array', value: items })),
    fc.array(tie('value'), { maxLength: 4 }).map((items): Reply => ({ kind: 'set', value: items })),
    fc.array(tie('value'), { maxLength: 4 }).map((items): Reply => ({ kind: 'push', value: items })),
    fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 3 }).map((pairs): Reply => ({ kind: 'map', value: pairs })),
  ),
})).value;
