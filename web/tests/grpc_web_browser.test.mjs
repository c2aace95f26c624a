// The browser app in Debian's headless Chromium (driven by playwright-core), calling a real
// Switchboard through the official grpc-web runtime: unary and server streaming, text and
// binary formats, an error status and a deadline. tests/browser/run-browser-tests.sh starts
// the system, the page's static server and a gateway whose cors.allow_origins lists the page,
// and passes where they are in SWITCHBOARD_* variables (below).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { chromium } from 'playwright-core';

function required(name) {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run tests/browser/run-browser-tests.sh`);
  return value;
}

const kPageUrl = required('SWITCHBOARD_WEB_URL');               // the app, from web/serve.mjs
const kGatewayUrl = required('SWITCHBOARD_GATEWAY_URL');        // cors.allow_origins: the page
const kPlainGatewayUrl = process.env.SWITCHBOARD_PLAIN_GATEWAY_URL ?? '';  // up's, no cors
const kUpLog = process.env.SWITCHBOARD_UP_LOG ?? '';            // up's output, rpc log lines
const kScreenshot = process.env.SWITCHBOARD_WEB_SCREENSHOT ?? '';
const kChromium = process.env.SWITCHBOARD_CHROMIUM ?? '/usr/bin/chromium';

const kChromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

const kFormats = ['text', 'binary'];
const kContentTypes = { text: 'application/grpc-web-text', binary: 'application/grpc-web+proto' };

// Bounds: every wait ends, and the whole file does too.
const kCallWaitMs = 10000;       // a unary call's answer, or a stream's next few updates
const kStreamUpdates = 3;        // live updates a watch must show before it is stopped
const kQuietAfterCancelMs = 600; // no update may arrive this long after Stop (ticks are 100 ms)
const kBackendCancelWaitMs = 5000;
const kDeadlineMs = 200;
// The status must come from the gateway or the service: the runtime's own XHR timeout fires
// at max(1 s, 1.1 x deadline) and would also say DEADLINE_EXCEEDED.
const kDeadlineBoundMs = 950;
const kBinaryStreamDeadlineMs = 800;
const kClockSlackMs = 60000;     // same machine; catches seconds-for-ms and zero timestamps
const kScreenshotUpdates = 20;
const kFileTimeoutMs = 230000;  // below run-browser-tests.sh's --test-timeout

const watchdog = setTimeout(() => {
  console.error(`grpc_web_browser: still running after ${kFileTimeoutMs} ms; giving up`);
  process.exit(1);
}, kFileTimeoutMs);
watchdog.unref();

// --- the browser -------------------------------------------------------------------------------

let context = null;
let ownProfile = null;
const profileDir = process.env.SWITCHBOARD_BROWSER_PROFILE ||
  (ownProfile = mkdtempSync(path.join(os.tmpdir(), 'switchboard-chromium-')));

before(async () => {
  // A persistent context because Playwright takes the profile directory as a parameter, not as
  // --user-data-dir; the runner hands it a fresh empty one.
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: kChromium,
    headless: true,
    args: kChromiumArgs,
    viewport: { width: 1280, height: 800 },
  });
});

after(async () => {
  await context?.close();
  if (ownProfile) rmSync(ownProfile, { recursive: true, force: true });
});

// A fresh tab on the app, closed when the test ends. Page errors fail the test; every
// gRPC-Web exchange is recorded with its request and response headers.
async function openApp(t, { format, gateway = kGatewayUrl }) {
  const page = await context.newPage();
  const pageErrors = [];
  const calls = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('request', (request) => {
    if (request.method() !== 'POST') return;
    const call = { method: new URL(request.url()).pathname, request: request.headers() };
    calls.push(call);
    request.response().then((response) => {
      call.status = response?.status();
      call.response = response?.headers();
    }, () => {});
  });
  page.on('requestfailed', (request) => {
    const call = calls.findLast((c) => c.method === new URL(request.url()).pathname);
    if (call) call.failure = request.failure()?.errorText;
  });
  t.after(async () => {
    await page.close();
    assert.deepEqual(pageErrors, [], 'the page threw');
  });
  const url = new URL(kPageUrl);
  url.searchParams.set('gateway', gateway);
  url.searchParams.set('format', format);
  await page.goto(url.href);
  await page.waitForSelector('body[data-ready="true"]', { timeout: kCallWaitMs });
  assert.equal(await page.inputValue('#format'), format);
  return { page, calls };
}

// Waits for `selector` (what success shows); a shown error fails at once with its text.
async function shows(page, selector) {
  await page.waitForSelector(`${selector}, #error:not([hidden])`, { timeout: kCallWaitMs });
  if (await page.isVisible('#error')) assert.fail(await page.textContent('#error'));
}

// Waits until the watch has shown `n` updates, failing at once if it ends before.
async function updatesShown(page, n) {
  await page.waitForFunction((want) => {
    const state = document.querySelector('#stream-state').dataset.state;
    return state !== 'streaming' ||
      Number(document.querySelector('#quote-count').dataset.count) >= want;
  }, n, { timeout: kCallWaitMs });
  if (await page.isVisible('#error')) assert.fail(await page.textContent('#error'));
  assert.equal(await page.getAttribute('#stream-state', 'data-state'), 'streaming');
}

async function errorShown(page) {
  await page.waitForSelector('#error:not([hidden])', { timeout: kCallWaitMs });
  return page.$eval('#error', (box) => ({ ...box.dataset, text: box.textContent }));
}

async function fields(page) {
  return page.$$eval('#event dd', (dds) =>
    Object.fromEntries(dds.map((dd) => [dd.dataset.field, dd.dataset.value])));
}

async function priceCount(page) {
  return Number(await page.getAttribute('#quote-count', 'data-count'));
}

// The updates listed on the page, oldest first.
async function listedPrices(page) {
  const items = await page.$$eval('#prices li', (lis) => lis.map((li) => ({
    seq: Number(li.dataset.seq), symbol: li.dataset.symbol, price: Number(li.dataset.price),
    timestamp: Number(li.dataset.timestamp),
  })));
  return items.sort((a, b) => a.seq - b.seq);
}

function assertPlausibleUpdates(updates, symbol) {
  const now = Date.now();
  for (const update of updates) {
    assert.equal(update.symbol, symbol);
    assert.ok(Number.isFinite(update.price) && update.price > 0, `price ${update.price}`);
    assert.ok(Math.abs(update.timestamp - now) < kClockSlackMs,
      `timestamp ${update.timestamp} is not near now (${now})`);
  }
  for (let i = 1; i < updates.length; i++) {
    assert.ok(updates[i].timestamp > updates[i - 1].timestamp,
      `timestamps must increase: ${updates.map((u) => u.timestamp).join(', ')}`);
  }
}

// The wire format the runtime used really is the one the page selected.
function assertWireFormat(calls, method, format) {
  const call = calls.find((c) => c.method === method);
  assert.ok(call, `no POST ${method} among ${calls.map((c) => c.method).join(', ')}`);
  assert.equal(call.request['content-type'], kContentTypes[format]);
  assert.equal(call.request['x-grpc-web'], '1');
  return call;
}

function countLogLines(pattern) {
  if (!kUpLog) return 0;
  return readFileSync(kUpLog, 'utf8').split('\n').filter((line) => pattern.test(line)).length;
}

// --- unary -------------------------------------------------------------------------------------

describe('TicketService (unary)', () => {
  for (const format of kFormats) {
    test(`GetEvent shows every field of evt-3 (${format})`, async (t) => {
      const { page, calls } = await openApp(t, { format });
      await page.fill('#event-id', 'evt-3');
      await page.click('#get-event');
      await shows(page, '#event[data-id="evt-3"]');
      const shown = await fields(page);
      assert.equal(shown.id, 'evt-3');
      assert.equal(shown.name, 'Head-of-Line Blues');
      assert.equal(shown.venue, 'Blue Note, New York');
      assert.equal(shown.starts_at, new Date(1800003600 * 1000).toISOString());
      assert.equal(shown.capacity, '300');
      assert.ok(Number(shown.seats_available) >= 0 && Number(shown.seats_available) <= 300);
      assert.equal(shown.price, '6000');
      assert.equal(shown.currency, 'USD');
      assert.equal(await page.textContent('#event dd[data-field="price"]'), '60.00 USD');
      assert.ok(await page.isHidden('#error'));
      const call = assertWireFormat(calls, '/switchboard.ticket.v1.TicketService/GetEvent', format);
      assert.equal(call.status, 200);
      assert.ok(call.response['content-type'].startsWith(kContentTypes[format].replace('+proto', '')),
        `response content-type ${call.response['content-type']}`);
      assert.equal(call.response['access-control-allow-origin'], new URL(kPageUrl).origin);
    });

    test(`ListEvents pages through the catalogue by start time (${format})`, async (t) => {
      const { page, calls } = await openApp(t, { format });
      const ids = () => page.$$eval('#events tbody tr', (rows) => rows.map((r) => r.dataset.id));
      await page.fill('#page-size', '5');
      await page.click('#list-events');
      await shows(page, '#events tbody tr');
      assert.deepEqual(await ids(), ['evt-1', 'evt-2', 'evt-3', 'evt-4', 'evt-5']);
      assert.ok(await page.isEnabled('#next-page'));

      await page.click('#next-page');
      await shows(page, '#events tbody tr[data-id="evt-6"]');
      assert.deepEqual(await ids(), ['evt-6', 'evt-7', 'evt-8', 'evt-9', 'evt-10']);

      await page.click('#next-page');
      await shows(page, '#events tbody tr[data-id="evt-11"]');
      assert.deepEqual(await ids(), ['evt-11', 'evt-12']);
      assert.equal(await page.getAttribute('#events', 'data-next-page-token'), '');
      assert.ok(await page.isDisabled('#next-page'));

      // A row opens its event (GetEvent).
      await page.click('#events tbody tr[data-id="evt-12"]');
      await shows(page, '#event[data-id="evt-12"]');
      assert.equal((await fields(page)).name, 'Status Codes Unplugged');
      assertWireFormat(calls, '/switchboard.ticket.v1.TicketService/ListEvents', format);
    });

    test(`GetEvent evt-404 shows NOT_FOUND (5) with the server's message (${format})`, async (t) => {
      const { page, calls } = await openApp(t, { format });
      await page.fill('#event-id', 'evt-404');
      await page.click('#get-event');
      const error = await errorShown(page);
      assert.equal(error.operation, 'GetEvent');
      assert.equal(error.code, '5');
      assert.equal(error.codeName, 'NOT_FOUND');
      assert.match(error.message, /evt-404/);
      assert.match(error.message, /not found/);
      assert.match(error.text, /NOT_FOUND \(5\)/);
      assert.ok(await page.isHidden('#event'));
      // A gRPC status in an HTTP 200 response, not an HTTP error.
      const call = assertWireFormat(calls, '/switchboard.ticket.v1.TicketService/GetEvent', format);
      assert.equal(call.status, 200);
    });
  }

  test('a gateway without cors.allow_origins for the page is refused by the browser',
    { skip: kPlainGatewayUrl ? false : 'SWITCHBOARD_PLAIN_GATEWAY_URL is not set' }, async (t) => {
      const { page } = await openApp(t, { format: 'text', gateway: kPlainGatewayUrl });
      await page.click('#get-event');
      const error = await errorShown(page);
      // The preflight is refused, so the runtime sees no HTTP status at all.
      assert.equal(error.code, '2');
      assert.match(error.message, /status code: 0/);
      assert.ok(await page.isHidden('#event'));
    });
});

// --- server streaming --------------------------------------------------------------------------

describe('StockService.WatchStockPrice (server streaming)', () => {
  test('text: updates render live with increasing timestamps, then Stop cancels', async (t) => {
    const { page, calls } = await openApp(t, { format: 'text' });
    const cancelledBefore = countLogLines(/WatchStockPrice status=CANCELLED/);
    await page.fill('#symbol', 'ACME');
    await page.click('#watch');
    // Live: the updates are on the page while the call is still open.
    await updatesShown(page, kStreamUpdates);
    const updates = await listedPrices(page);
    assert.ok(updates.length >= kStreamUpdates);
    assertPlausibleUpdates(updates, 'ACME');
    assert.equal(await page.textContent('#quote-symbol'), 'ACME');

    await page.click('#stop');
    assert.equal(await page.getAttribute('#stream-state', 'data-state'), 'cancelled');
    const atStop = await priceCount(page);
    t.diagnostic(`${atStop} updates before Stop`);
    await sleep(kQuietAfterCancelMs);
    assert.equal(await priceCount(page), atStop, 'an update arrived after Stop');
    assert.ok(await page.isHidden('#error'));
    // Stop aborted the request itself, not just the rendering.
    const call = assertWireFormat(calls, '/switchboard.stock.v1.StockService/WatchStockPrice',
      'text');
    assert.match(call.failure ?? '', /ABORTED/, 'the browser did not abort the stream');

    // The cancellation went through the gateway to the service, which ended the stream.
    if (kUpLog) {
      const deadline = Date.now() + kBackendCancelWaitMs;
      while (countLogLines(/WatchStockPrice status=CANCELLED/) <= cancelledBefore) {
        assert.ok(Date.now() < deadline,
          `stock service logged no cancelled WatchStockPrice within ${kBackendCancelWaitMs} ms`);
        await sleep(100);
      }
    }
  });

  test('binary: the runtime delivers a stream\'s updates when it ends', async (t) => {
    const { page, calls } = await openApp(t, { format: 'binary' });
    assert.ok(await page.isVisible('#binary-note'));
    await page.fill('#symbol', 'ACME');
    await page.fill('#deadline-ms', String(kBinaryStreamDeadlineMs));
    await page.click('#watch');
    const error = await errorShown(page);
    assert.equal(error.code, '4', `${error.codeName}: ${error.message}`);
    const updates = await listedPrices(page);
    t.diagnostic(`${await priceCount(page)} updates, then ${error.codeName}: ${error.message}`);
    assert.ok(updates.length >= 1, 'no update decoded from the binary stream');
    assertPlausibleUpdates(updates, 'ACME');
    assertWireFormat(calls, '/switchboard.stock.v1.StockService/WatchStockPrice', 'binary');
  });

  for (const format of kFormats) {
    test(`a ${kDeadlineMs} ms deadline ends a watch with DEADLINE_EXCEEDED (4) (${format})`,
      async (t) => {
        const { page, calls } = await openApp(t, { format });
        await page.fill('#symbol', 'ACME');
        await page.fill('#deadline-ms', String(kDeadlineMs));
        await page.click('#watch');
        const error = await errorShown(page);
        assert.equal(error.operation, 'WatchStockPrice');
        assert.equal(error.code, '4', `${error.codeName}: ${error.message}`);
        assert.equal(error.codeName, 'DEADLINE_EXCEEDED');
        assert.equal(await page.getAttribute('#stream-state', 'data-state'), 'error');
        const elapsed = Number(await page.getAttribute('#stream-state', 'data-elapsed-ms'));
        t.diagnostic(`ended after ${elapsed} ms with ${await priceCount(page)} updates: ` +
          `${error.message}`);
        assert.ok(elapsed >= kDeadlineMs * 0.75 && elapsed < kDeadlineBoundMs,
          `ended after ${elapsed} ms; want about ${kDeadlineMs} ms`);
        // The runtime sent the deadline as grpc-timeout (milliseconds left when it was sent).
        const call = assertWireFormat(calls, '/switchboard.stock.v1.StockService/WatchStockPrice',
          format);
        const timeout = /^(\d+)m$/.exec(call.request['grpc-timeout'] ?? '');
        assert.ok(timeout, `grpc-timeout ${call.request['grpc-timeout']}`);
        assert.ok(Number(timeout[1]) > 0 && Number(timeout[1]) <= kDeadlineMs);
      });
  }
});

// --- how it looks ------------------------------------------------------------------------------

test('the app renders streamed prices (screenshot)', async (t) => {
  const { page } = await openApp(t, { format: 'text' });
  await page.click('#list-events');
  await page.click('#get-event');
  await shows(page, '#event[data-id="evt-1"]');
  await page.click('#watch');
  await updatesShown(page, kScreenshotUpdates);
  const points = await page.$eval('#sparkline polyline', (p) => p.getAttribute('points'));
  assert.ok(points.split(' ').length >= kScreenshotUpdates, `sparkline points: ${points}`);
  const file = kScreenshot || path.join(profileDir, 'screenshot.png');
  await page.locator('body').screenshot({ path: file });
  await page.click('#stop');
  assert.ok(statSync(file).size > 10000, `${file} looks empty`);
});
