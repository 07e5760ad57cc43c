// The dashboard in a real browser (headless Chromium through playwright-core) against a
// real 3-node cluster, served by a follower: the page loads with no console error, lists
// every member with its role, its charts fill with data after writes, and a leadership
// transfer shows up as an event, as a marker on the charts and in the members' roles.
// Leaves a screenshot in .tmp/test-artifacts/ (or RAFTIS_TEST_ARTIFACTS).

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { TestCluster } from '../support/cluster.js';
import { launchChromium, missingChromium } from '../support/chromium.js';
import { waitFor } from '../support/wait.js';

/** Generous: the default run shares two busy cores between this cluster, a browser and other tests. */
const PAGE_WAIT_MS = 45_000;

/** What the test reads of the page: the rows, the charts' data attributes, the events. */
interface PageState {
  readonly headline: string;
  readonly live: string;
  readonly members: readonly { id: string; role: string; health: string }[];
  readonly charts: Readonly<Record<string, { series: string[]; points: number; markers: number; latest: string; drawn: boolean }>>;
  readonly events: readonly { kind: string; text: string }[];
}

/**
 * Reads PageState in the page. A string, not a function: the test runs under tsx, whose
 * transpiled functions may call helpers that exist only in Node.
 */
const READ_PAGE = `(() => ({
  headline: document.querySelector('#headline')?.textContent ?? '',
  live: document.querySelector('#live')?.className ?? '',
  members: [...document.querySelectorAll('#members tbody tr')].map((tr) => ({ id: tr.dataset.member, role: tr.dataset.role, health: tr.dataset.health })),
  charts: Object.fromEntries([...document.querySelectorAll('[data-chart]')].map((c) => [c.dataset.chart, {
    series: (c.dataset.series ?? '').split(',').filter((s) => s !== ''), points: Number(c.dataset.points), markers: Number(c.dataset.markers),
    latest: c.dataset.latest ?? '', drawn: c.querySelector('canvas') !== null }])),
  events: [...document.querySelectorAll('#events li[data-kind]')].map((li) => ({ kind: li.dataset.kind, text: li.querySelector('.text')?.textContent ?? '' })),
}))()`;

function readPage(page: Page): Promise<PageState> {
  return page.evaluate(READ_PAGE) as Promise<PageState>;
}

/** Waits until `condition` holds of the page, failing with `what` and what the page showed last. */
async function waitInPage(page: Page, what: string, condition: (state: PageState) => boolean): Promise<PageState> {
  let last: PageState | null = null;
  try {
    return await waitFor(what, async () => {
      last = await readPage(page);
      return condition(last) ? last : null;
    }, { timeoutMs: PAGE_WAIT_MS, intervalMs: 200 });
  } catch (error) {
    throw new Error(`${(error as Error).message}; the page showed ${JSON.stringify(last)}`);
  }
}

describe('dashboard in a browser', { skip: missingChromium() }, () => {
  let cluster: TestCluster;
  let browser: Browser;
  let page: Page;
  let leader: string;
  let serving: string;
  const problems: string[] = [];

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3, adminHttp: true });
    leader = await cluster.waitForLeader();
    serving = cluster.nodes.map((n) => n.id).find((id) => id !== leader) ?? '';
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1600 } });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
    await page.goto(`http://127.0.0.1:${cluster.node(serving).adminPort ?? 0}/`, { timeout: PAGE_WAIT_MS });
  });

  after(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  it('lists every member with its role, as the cluster reports it', async () => {
    const ids = cluster.nodes.map((n) => n.id);
    const shown = await waitInPage(page, `${ids.length} healthy members, ${leader} the leader`, ({ members }) =>
      members.length === ids.length && ids.every((id) => members.some((m) => m.id === id && m.role === (id === leader ? 'leader' : 'follower') && m.health === 'ok')));
    assert.equal(await cluster.call(serving, ['RAFT.LEADER']), leader, 'the leader did not change meanwhile');
    assert.match(shown.headline, new RegExp(`served by ${serving}\\b.*leader ${leader}\\b`));
  });

  it('fills its charts with data after writes', async () => {
    const redis = cluster.client(serving);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) writes.push(redis.set(`dash:${i}`, 'v'), redis.hset(`dash:h:${i % 10}`, `f${i}`, i));
    await Promise.all(writes);
    const keys = Number(await redis.dbsize());
    assert.equal(keys, 310);
    await waitInPage(page, 'string and hash commands on the ops chart, and every chart drawn with data', ({ charts }) => {
      const has = (chart: string, series: string): boolean => charts[chart]?.series.includes(series) === true;
      return has('ops', 'string') && has('ops', 'hash') && has('latency', 'p99') && has('raft', 'committed') && has('wal', 'sync time') && has('memory', 'keyspace') &&
        ['ops', 'latency', 'raft', 'wal', 'memory', 'keys'].every((id) => charts[id]?.drawn === true && (charts[id]?.points ?? 0) >= 2);
    });
    await waitInPage(page, `the keys chart to reach ${keys} keys`, ({ charts }) => Number(/keys=(\d+)/.exec(charts['keys']?.latest ?? '')?.[1]) === keys);
  });

  it('shows a leadership transfer as an event, a chart marker and new roles', async () => {
    const target = cluster.nodes.map((n) => n.id).find((id) => id !== leader && id !== serving) ?? '';
    const markersBefore = (await readPage(page)).charts['raft']?.markers ?? 0;
    assert.equal(await cluster.call(leader, ['RAFT.TRANSFER-LEADER', target]), 'OK');
    await cluster.moveLeadershipTo(target);
    assert.equal(await cluster.waitForLeader(), target);
    await waitInPage(page, `an event naming ${target} leader`, ({ events }) => events.some((e) => e.kind === 'leader' && new RegExp(`^${target} is leader in term \\d+$`).test(e.text)));
    await waitInPage(page, `${target} shown as leader and ${leader} as follower`, ({ members }) =>
      members.some((m) => m.id === target && m.role === 'leader') && members.some((m) => m.id === leader && m.role === 'follower'));
    await waitInPage(page, 'a leader-change marker on the charts', ({ charts }) => (charts['raft']?.markers ?? 0) > markersBefore);
  });

  it('raised no console error, failed request or page error', async (t) => {
    const dir = resolve(process.env['RAFTIS_TEST_ARTIFACTS'] ?? '.tmp/test-artifacts');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'dashboard.png');
    await page.screenshot({ path, fullPage: true });
    t.diagnostic(`dashboard screenshot: ${path}`);
    // The page keeps polling: a late error would show up here too.
    await waitInPage(page, 'the page to be live', ({ live }) => live.includes('live'));
    assert.deepEqual(problems, []);
  });
});
