// The etcd load generator (bench/etcd-load/main.go) built by the harness and run against a real
// one-member etcd through the harness's load-process protocol: puts, then linearizable and
// serializable ranges, with the generator's and the member's CPU measured. Slow (the first
// build takes about a minute) and skipped without Go, golang-etcd-server-dev or etcd.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ensureEtcdLoad, etcdLoadCommand, etcdLoadToolchain } from '../../bench/etcd-load.js';
import { runLoadProcess } from '../../bench/load-process.js';
import { EtcdCluster, etcdVersion } from '../../bench/systems/etcd-cluster.js';
import { usePortSource } from '../../bench/systems/ports.js';
import { freePort } from '../support/ports.js';

usePortSource(() => freePort());

const missing = etcdLoadToolchain() === null ? 'Go or golang-etcd-server-dev is not installed' : etcdVersion() === null ? 'etcd is not installed' : null;

test('etcd-load: puts and ranges over gRPC against a real etcd, with CPU per request', { skip: missing ?? false, timeout: 300_000 }, async () => {
  const built = ensureEtcdLoad();
  assert.ok('binary' in built, 'skipped' in built ? built.skipped : '');
  const etcd = await EtcdCluster.start(1);
  try {
    const { clientPort } = await etcd.leader();
    const cases = [{ readFraction: 0, readMode: null }, { readFraction: 1, readMode: 'linearizable' }, { readFraction: 1, readMode: 'serializable' }] as const;
    for (const { readFraction, readMode } of cases) {
      const run = await runLoadProcess(etcdLoadCommand(built.binary, clientPort, 2, 500, readFraction, readMode), 500, () => etcd.cpuSecondsByNode());
      const label = `${readMode ?? 'puts'}`;
      assert.equal(run.errors, 0, `${label}: ${run.firstError ?? ''}`);
      assert.ok(run.ops > 0 && run.p50Ms > 0 && run.p99Ms >= run.p50Ms, `${label}: ${JSON.stringify(run)}`);
      assert.equal(run.perSecond.reduce((a, b) => a + b, 0), run.ops, `${label}: every request counted in its second`);
      assert.equal(run.serverCpuMicrosPerRequest.length, 1, label);
      assert.ok(run.loadGeneratorCpuMicrosPerRequest !== null && run.loadGeneratorCpuMicrosPerRequest >= 0, label);
    }
  } finally {
    await etcd.stop();
  }
});
