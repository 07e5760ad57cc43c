// The cluster fixture most integration suites share: one cluster per describe block,
// started before its tests and stopped after them.

import { after, before } from 'node:test';
import { TestCluster, type ClusterOptions } from './cluster.js';

/** What a suite's cluster fixture hands its tests once started. */
export interface StartedCluster {
  readonly cluster: TestCluster;
  /** The leader every node agreed on after the start. */
  readonly leader: string;
  /** The other nodes, in node order. */
  readonly followers: string[];
  /** Every node, in node order. */
  readonly ids: string[];
}

/**
 * The fixture of an integration suite: inside a describe block, starts a cluster before its
 * tests (default 3 nodes), waits for a leader known to every node, hands `started` the
 * cluster, its leader and the other nodes, and stops it after the tests.
 */
export function clusterPerSuite(options: ClusterOptions, started: (fixture: StartedCluster) => void): void {
  let cluster: TestCluster | undefined;
  before(async () => {
    cluster = await TestCluster.start(options);
    const leader = await cluster.waitForLeader();
    const ids = cluster.nodes.map((n) => n.id);
    started({ cluster, leader, followers: ids.filter((id) => id !== leader), ids });
  });
  after(async () => {
    await cluster?.stop();
  });
}
