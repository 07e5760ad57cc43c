// Renders the README's dashboard screenshot (docs/dashboard.png, light theme; --theme dark for the other):
// a 3-node cluster from dist/, a minute of mixed commands from every node with a leadership
// transfer half-way, then, with the commands still running, the page of a follower in headless
// Chromium.
//   npm run build && node --import tsx scripts/dashboard-screenshot.ts [--out docs/dashboard.png] [--theme light|dark] [--seconds 60]

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TestCluster } from '../test/support/cluster.js';
import { launchChromium, missingChromium } from '../test/support/chromium.js';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/dashboard.png' }, theme: { type: 'string', default: 'light' }, seconds: { type: 'string', default: '60' } } });
const seconds = Number(values.seconds);
if (!Number.isInteger(seconds) || seconds < 5) throw new Error(`--seconds ${values.seconds}: a whole number of at least 5`);
const theme = values.theme;
if (theme !== 'light' && theme !== 'dark') throw new Error(`--theme ${theme}: light or dark`);
const missing = missingChromium();
if (missing !== false) throw new Error(missing);

/** Until `done()`, each client sends a mix of families in small pipelines. */
async function load(cluster: TestCluster, done: () => boolean): Promise<void> {
  const clients = cluster.nodes.map((n) => cluster.client(n.id, { retry: true }));
  let round = 0;
  while (!done()) {
    round++;
    await Promise.all(clients.map(async (redis, i) => {
      const batch = redis.pipeline();
      for (let k = 0; k < 20; k++) {
        const key = `${i}:${(round * 20 + k) % 5000}`;
        batch.set(`s:${key}`, 'x'.repeat(64)).get(`s:${key}`).hset(`h:${k}`, key, round).lpush(`l:${k % 4}`, key).ltrim(`l:${k % 4}`, 0, 999).zadd('z', round, key).sadd(`set:${k % 8}`, key);
      }
      if (round % 5 === 0) batch.xadd('events', 'MAXLEN', '~', '1000', '*', 'round', String(round));
      await batch.exec().catch(() => undefined); // a leadership transfer fails a few: they do not matter here
    }));
  }
}

const cluster = await TestCluster.start({ nodes: 3, adminHttp: true });
try {
  const leader = await cluster.waitForLeader();
  let stopped = false;
  const loading = load(cluster, () => stopped);
  await new Promise((done) => setTimeout(done, (seconds * 1000) / 2));
  const target = cluster.nodes.map((n) => n.id).find((id) => id !== leader) ?? leader;
  await cluster.call(leader, ['RAFT.TRANSFER-LEADER', target]);
  await new Promise((done) => setTimeout(done, (seconds * 1000) / 2));
  const serving = cluster.nodes.map((n) => n.id).find((id) => id !== target) ?? target;
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 1500 }, colorScheme: theme, deviceScaleFactor: 1 });
  await page.goto(`http://127.0.0.1:${cluster.node(serving).adminPort ?? 0}/`);
  await page.waitForSelector('[data-chart="ops"] canvas', { timeout: 30_000 });
  await page.waitForTimeout(1500); // one more poll, so the tiles and the latest events are in
  await page.screenshot({ path: resolve(values.out), fullPage: true });
  process.stdout.write(`${resolve(values.out)}\n`);
  await browser.close();
  stopped = true;
  await loading;
} finally {
  await cluster.stop();
}
