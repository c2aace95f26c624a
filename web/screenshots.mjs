// Screenshots of every page of the app, for web/README.md: each page after its main flow ran
// against a running system (`make run`, or `switchboard up --web web/dist`), in Debian's
// headless Chromium. Not part of the tests; run it again when a page changes.
//
//   node web/screenshots.mjs [--url http://127.0.0.1:8080/] [--out docs/screenshots]
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { chromium } from 'playwright-core';

const kRepo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const kWaitMs = 10000;
const kStreamMs = 2500;  // prices and the chart after this long

const { values } = parseArgs({ options: { url: { type: 'string' }, out: { type: 'string' } } });
const appUrl = values.url ?? 'http://127.0.0.1:8080/';
const outDir = path.resolve(values.out ?? path.join(kRepo, 'docs', 'screenshots'));

// What each page shows in its screenshot: the flow a user would run first.
const kFlows = {
  async events(tab) {
    await tab.click('#list-events');
    await tab.waitForSelector('#events tbody tr', { timeout: kWaitMs });
    await tab.click('#events tbody tr');
    await tab.click('#book');
    await tab.waitForSelector('#waterfall li', { timeout: kWaitMs });
  },
  async stocks(tab) {
    await tab.fill('#symbols', 'AAPL, ACME, GRPC, QUIC');
    await tab.click('#watch');
    await tab.waitForTimeout(kStreamMs);
  },
  async upload(tab) {
    const file = path.join(os.tmpdir(), 'switchboard-screenshot.bin');
    await writeFile(file, Buffer.alloc(5 * 1024 * 1024, 7));
    await tab.setInputFiles('#file', file);
    await tab.click('#upload');
    await tab.waitForSelector('#upload-result[data-sha256]', { timeout: kWaitMs });
  },
  async chat(tab, context) {
    const other = await context.newPage();
    await other.goto(new URL('#/chat', appUrl).href);
    await other.fill('#user', 'bob');
    await other.click('#join');
    await tab.click('#join');
    await tab.waitForSelector('#chat-state[data-state="open"]', { timeout: kWaitMs });
    await other.waitForSelector('#chat-state[data-state="open"]', { timeout: kWaitMs });
    await other.fill('#say', 'hi alice, the seats are booked');
    await other.press('#say', 'Enter');
    await tab.fill('#say', 'great, see you there');
    await tab.press('#say', 'Enter');
    await tab.waitForSelector('#messages li[data-user="bob"][data-kind="KIND_TEXT"]',
      { timeout: kWaitMs });
    await other.close();
  },
  async notifications(tab) {
    await tab.click('#notify');
    await tab.waitForSelector('#notifications li', { timeout: kWaitMs });
  },
  async system(tab) {
    await tab.waitForSelector('#metrics dd', { timeout: kWaitMs });
    await tab.waitForSelector('#backends tr[data-backend]', { timeout: kWaitMs });
  },
};

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  await mkdir(outDir, { recursive: true });
  for (const [name, flow] of Object.entries(kFlows)) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const tab = await context.newPage();
    await tab.goto(new URL(`#/${name}`, appUrl).href);
    await tab.waitForSelector('body[data-ready="true"]', { timeout: kWaitMs });
    await flow(tab, context);
    await tab.screenshot({ path: path.join(outDir, `${name}.png`) });
    if (name === 'events') {
      await tab.setViewportSize({ width: 375, height: 800 });
      await tab.screenshot({ path: path.join(outDir, 'events-375px.png') });
    }
    await context.close();
    console.log(`wrote ${path.join(outDir, `${name}.png`)}`);
  }
} finally {
  await browser.close();
}
