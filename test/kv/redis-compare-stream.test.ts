// Stream commands against a real redis-server: fixed sequences with explicit IDs (auto IDs and
// idle times depend on each server's clock) give the same replies and error texts, consumer
// groups included. Skipped when redis-server is missing.

import { test } from 'node:test';
import { compareSteps, describeWithRedis, type Step } from './redis-compare-support.js';

const steps = (...commands: (readonly string[])[]): Step[] => commands.map((args) => ({ args }));

const sequences: Record<string, Step[]> = {
  'XADD, XLEN, XRANGE, XREVRANGE, XDEL': steps(
    ['XADD', 's', '1-1', 'a', '1', 'b', '2'], ['XADD', 's', '1-*', 'c', '3'], ['XADD', 's', '2', 'd', '4'], ['XADD', 's', '2-0', 'e', '5'],
    ['XADD', 's', '0-0', 'x', 'y'], ['XADD', 's', 'abc', 'x', 'y'], ['XADD', 's', '3-1', 'x'], ['XADD', 's', '3-1'], ['XADD', 'n', 'NOMKSTREAM', '5-5', 'x', 'y'],
    ['XLEN', 's'], ['XLEN', 'nokey'], ['XRANGE', 's', '-', '+'], ['XRANGE', 's', '(1-1', '+'], ['XRANGE', 's', '-', '(2-0'], ['XRANGE', 's', '1', '1'],
    ['XRANGE', 's', '-', '+', 'COUNT', '2'], ['XRANGE', 's', '-', '+', 'COUNT', '0'], ['XRANGE', 's', '-', '+', 'COUNT', '-1'], ['XRANGE', 's', '-', '+', 'COUNT'],
    ['XRANGE', 's', '(-', '+'], ['XRANGE', 's', '-', '(+'], ['XRANGE', 's', '3', '1'], ['XRANGE', 'nokey', '-', '+'], ['XREVRANGE', 's', '+', '-'],
    ['XREVRANGE', 's', '+', '-', 'COUNT', '1'], ['XREVRANGE', 's', '(2-0', '-'], ['XDEL', 's', '1-2', '9-9'], ['XDEL', 's', 'x'], ['XRANGE', 's', '-', '+'],
    ['XADD', 's', '1-5', 'late', 'x'], ['SET', 'str', 'v'], ['XADD', 'str', '*', 'a', 'b'], ['XRANGE', 'str', '-', '+'], ['XLEN', 'str'],
    ['XADD', 's', 'MAXLEN', '-1', '*', 'a', 'b'], ['XADD', 's', 'MAXLEN', '1', 'MINID', '1', '*', 'a', 'b'], ['XADD', 's', 'LIMIT', '5', '*', 'a', 'b'],
    ['XADD', 'max', '18446744073709551615-18446744073709551615', 'a', 'b'], ['XADD', 'max', '*', 'a', 'b'],
  ),
  'XTRIM, XSETID and XINFO STREAM': steps(
    ...Array.from({ length: 12 }, (_, i) => ['XADD', 't', `${i + 1}-0`, 'f', String(i)]),
    ['XTRIM', 't', 'MAXLEN', '10'], ['XTRIM', 't', 'MINID', '5'], ['XTRIM', 't', 'MAXLEN', '=', '5'], ['XTRIM', 't', 'MINID', '~', '9'],
    ['XTRIM', 't', 'FOO', '1'], ['XTRIM', 't'], ['XTRIM', 't', 'MAXLEN', 'x'], ['XTRIM', 'nokey', 'MAXLEN', '0'], ['XLEN', 't'],
    ['XSETID', 't', '100-0'], ['XSETID', 't', '1-0'], ['XSETID', 'nokey', '1-0'], ['XSETID', 't', '200-0', 'ENTRIESADDED', '50', 'MAXDELETEDID', '150-0'],
    ['XSETID', 't', '300-0', 'ENTRIESADDED', '1', 'MAXDELETEDID', '0-0'], ['XSETID', 't', '300-0', 'ENTRIESADDED', '50', 'MAXDELETEDID', '400-0'],
    ['XSETID', 't', '300-0', 'ENTRIESADDED', '-1', 'MAXDELETEDID', '0-0'], ['XSETID', 't', '300-0', 'ENTRIESADDED', '50'],
    ['XINFO', 'STREAM', 't'], ['XINFO', 'STREAM', 't', 'FULL'], ['XINFO', 'STREAM', 't', 'FULL', 'COUNT', '1'], ['XINFO', 'STREAM', 'nokey'],
    ['XINFO', 'STREAM', 't', 'BAR'], ['XINFO', 'FOO'], ['XINFO', 'GROUPS', 't'],
  ),
  'consumer groups': steps(
    ['XGROUP', 'CREATE', 'g', 'grp', '$'], ['XGROUP', 'CREATE', 'g', 'grp', '$', 'MKSTREAM'], ['XGROUP', 'CREATE', 'g', 'grp', '0'],
    ['XADD', 'g', '1-0', 'a', '1'], ['XADD', 'g', '2-0', 'b', '2'], ['XADD', 'g', '3-0', 'c', '3'],
    ['XREADGROUP', 'GROUP', 'grp', 'alice', 'COUNT', '1', 'STREAMS', 'g', '>'], ['XREADGROUP', 'GROUP', 'grp', 'bob', 'STREAMS', 'g', '>'],
    ['XREADGROUP', 'GROUP', 'grp', 'bob', 'STREAMS', 'g', '>'], ['XREADGROUP', 'GROUP', 'grp', 'alice', 'STREAMS', 'g', '0'],
    ['XREADGROUP', 'GROUP', 'nogrp', 'alice', 'STREAMS', 'g', '>'], ['XREADGROUP', 'GROUP', 'grp', 'alice', 'STREAMS', 'g', '$'],
    ['XREADGROUP', 'GROUP', 'grp', 'alice', 'STREAMS', 'g'], ['XREAD', 'STREAMS', 'g', '>'], ['XREAD', 'STREAMS', 'g', '1-0'], ['XREAD', 'COUNT', '1', 'STREAMS', 'g', 'nokey', '0', '0'],
    ['XPENDING', 'g', 'grp'], ['XPENDING', 'g', 'grp', '-', '+', '0'], ['XPENDING', 'g', 'nogrp'], ['XPENDING', 'g', 'grp', '-', '+'],
    ['XACK', 'g', 'grp', '1-0', '9-0'], ['XACK', 'g', 'grp', 'x'], ['XACK', 'nokey', 'grp', '1-0'], ['XPENDING', 'g', 'grp'],
    ['XCLAIM', 'g', 'grp', 'carol', '0', '2-0', 'JUSTID'], ['XCLAIM', 'g', 'grp', 'carol', '0', '1-0', 'FORCE', 'JUSTID'], ['XCLAIM', 'g', 'nogrp', 'carol', '0', '1-0'],
    ['XCLAIM', 'g', 'grp', 'carol', '0', '2-0', 'FOO'], ['XDEL', 'g', '3-0'], ['XAUTOCLAIM', 'g', 'grp', 'dave', '0', '0-0', 'COUNT', '10', 'JUSTID'],
    ['XAUTOCLAIM', 'g', 'grp', 'dave', '0', '0-0', 'COUNT', '0'], ['XGROUP', 'CREATECONSUMER', 'g', 'grp', 'erin'], ['XGROUP', 'CREATECONSUMER', 'g', 'grp', 'erin'],
    ['XGROUP', 'DELCONSUMER', 'g', 'grp', 'dave'], ['XGROUP', 'DELCONSUMER', 'g', 'grp', 'nobody'], ['XGROUP', 'SETID', 'g', 'grp', '0'],
    ['XGROUP', 'SETID', 'g', 'nogrp', '0'], ['XGROUP', 'SETID', 'nokey', 'grp', '0'], ['XINFO', 'GROUPS', 'g'], ['XGROUP', 'DESTROY', 'g', 'grp'],
    ['XGROUP', 'DESTROY', 'g', 'grp'], ['XGROUP', 'FOO', 'g'], ['XGROUP', 'HELP'], ['XINFO', 'HELP'],
  ),
};

describeWithRedis('stream commands match redis-server', (server) => {
  for (const [name, sequence] of Object.entries(sequences)) {
    test(name, async () => compareSteps(server(), sequence));
  }
});
