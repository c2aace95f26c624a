// The app over HTTPS with HTTP/2, in Debian's headless Chromium (playwright-core), served by the
// TLS port of a real `switchboard up --tls` (tests/browser/run-browser-tests.sh --tls starts it
// and passes SWITCHBOARD_APP_URL and SWITCHBOARD_SPKI_PIN): Chromium trusts exactly the
// gateway's certificate by its public key's pin, never every certificate, so a page that loads
// proves the gateway's TLS, and ALPN must pick h2 for the page, its REST and gRPC-Web calls and
// a live price stream.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

const kAppUrl = process.env.SWITCHBOARD_APP_URL;
assert.ok(kAppUrl?.startsWith('https://'), `SWITCHBOARD_APP_URL "${kAppUrl}" is not an ` +
  'https:// URL: run tests/browser/run-browser-tests.sh --tls');
const kSpkiPin = process.env.SWITCHBOARD_SPKI_PIN;
// base64 of a SHA-256: 43 characters and one '='.
assert.match(kSpkiPin ?? '', /^[A-Za-z0-9+/]{43}=$/,
  `SWITCHBOARD_SPKI_PIN "${kSpkiPin}" is not the base64 of a SHA-256`);
const kChromium = process.env.SWITCHBOARD_CHROMIUM ?? '/usr/bin/chromium';
// QUIC off so HTTP/3 cannot stand in for HTTP/2; no flag that trusts certificates wholesale.
const kChromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];
const kPinArg = `--ignore-certificate-errors-spki-list=${kSpkiPin}`;

const kWaitMs = 10000;          // any one thing the page should show
const kStreamUpdates = 3;       // live updates each watched symbol must show
const kFileTimeoutMs = 55000;   // the whole file, below the runner's bound
const kHttp2 = 'h2';            // ALPN's name, as nextHopProtocol reports it

const watchdog = setTimeout(() => {
  console.error(`https.test: still running after ${kFileTimeoutMs} ms; giving up`);
  process.exit(1);
}, kFileTimeoutMs);
watchdog.unref();

let browser = null;

before(async () => {
  browser = await chromium.launch({
    executablePath: kChromium, headless: true, args: [...kChromiumArgs, kPinArg] });
});

after(async () => {
  await browser?.close();
});

// Loads `url` in `tab`; a certificate Chromium refuses fails with the pin it was given.
async function load(tab, url) {
  try {
    await tab.goto(url);
  } catch (error) {
    if (/ERR_CERT|ERR_SSL/.test(error.message)) {
      assert.fail(`Chromium refused the certificate of ${url} while trusting only the SPKI pin ` +
        `${kSpkiPin} (is it the gateway's own certificate?): ${error.message.split('\n')[0]}`);
    }
    throw error;
  }
}

// A tab on `page` of the app, over the pinned certificate; page errors fail the test.
async function open(t, page) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const tab = await context.newPage();
  const errors = [];
  tab.on('pageerror', (error) => errors.push(error.message));
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors, [], 'the page threw');
  });
  await load(tab, new URL(`#/${page}`, kAppUrl).href);
  await tab.waitForSelector('body[data-ready="true"]', { timeout: kWaitMs });
  return tab;
}

// Waits for `selector`; an error the page shows fails at once with its text.
async function shows(tab, selector) {
  await tab.waitForSelector(`${selector}, #error:not([hidden])`, { timeout: kWaitMs });
  if (await tab.isVisible('#error')) assert.fail(await tab.textContent('#error'));
}

async function wireRows(tab) {
  return tab.$$eval('#wire tbody tr', (rows) => rows.map((row) => ({ ...row.dataset })));
}

// The protocol of the page's own load.
async function navigationProtocol(tab) {
  return tab.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol);
}

// Records the protocol of every response `tab` receives whose path matches `pattern`, as
// Chromium's network layer reports it (streams never finish, so Resource Timing misses them).
async function watchProtocols(tab, pattern) {
  const seen = [];
  const session = await tab.context().newCDPSession(tab);
  session.on('Network.responseReceived', ({ response }) => {
    const where = new URL(response.url).pathname;
    if (pattern.test(where)) seen.push({ path: where, protocol: response.protocol });
  });
  await session.send('Network.enable');
  return seen;
}

// The calls the page's script made (fetch and XHR, finished), each with its protocol.
async function apiCalls(tab) {
  return tab.evaluate(() => performance.getEntriesByType('resource')
    .filter((entry) => entry.initiatorType === 'fetch' || entry.initiatorType === 'xmlhttprequest')
    .map((entry) => ({ path: new URL(entry.name).pathname, protocol: entry.nextHopProtocol })));
}

test('the app loads over HTTPS with HTTP/2, trusting only the pinned certificate', async (t) => {
  const tab = await open(t, 'events');
  assert.equal(await navigationProtocol(tab), kHttp2,
    `the page came over ${await navigationProtocol(tab)}, not HTTP/2`);
  assert.equal(await tab.evaluate(() => window.isSecureContext), true);
});

test('without the pin Chromium refuses the gateway: nothing else trusts its CA', async () => {
  const unpinned = await chromium.launch({
    executablePath: kChromium, headless: true, args: kChromiumArgs });
  try {
    const tab = await unpinned.newPage();
    await assert.rejects(tab.goto(kAppUrl), /ERR_CERT_AUTHORITY_INVALID/,
      `Chromium without the pin loaded ${kAppUrl}: it trusts every certificate or the local CA`);
  } finally {
    await unpinned.close();
  }
});

for (const wire of ['rest', 'grpc-web']) {
  test(`events over ${wire} on HTTP/2: list and detail`, async (t) => {
    const tab = await open(t, 'events');
    await tab.selectOption('#wire-format', wire);
    await tab.click('#list-events');
    await shows(tab, '#events tbody tr[data-id="evt-1"]');
    await tab.click('#events tbody tr[data-id="evt-2"]');
    await shows(tab, '#event[data-id="evt-2"]');
    const rows = await wireRows(tab);
    const want = wire === 'rest' ? /^REST/ : /^gRPC-Web/;
    assert.ok(rows.length >= 2, JSON.stringify(rows));
    for (const row of rows.slice(0, 2)) {
      assert.match(row.protocol, want);
      assert.ok(Number(row.bytes) > 0, JSON.stringify(row));
      assert.match(row.serverId, /^ticket-1@127\.0\.0\.1:\d+$/);
      assert.ok(row.status === '200' || row.status === 'OK', JSON.stringify(row));
    }
    const calls = await apiCalls(tab);
    const wantPath = wire === 'rest' ? /^\/events/ : /^\/switchboard\.ticket\.v1\.TicketService\//;
    assert.ok(calls.filter((call) => wantPath.test(call.path)).length >= 2,
      `the page's ${wire} calls were not seen: ${JSON.stringify(calls)}`);
    for (const call of calls) {
      assert.equal(call.protocol, kHttp2, `${call.path} went over ${call.protocol}, not HTTP/2`);
    }
  });
}

for (const wire of ['rest', 'grpc-web']) {
  test(`stocks over ${wire} on HTTP/2: two symbols live`, async (t) => {
    const tab = await open(t, 'stocks');
    const streamed = await watchProtocols(tab, /watch|WatchStockPrice/i);
    await tab.selectOption('#wire-format', wire);
    await tab.fill('#symbols', 'AAPL, ACME');
    await tab.click('#watch');
    await tab.waitForFunction((n) => {
      const rows = [...document.querySelectorAll('#quotes tbody tr')];
      return rows.length === 2 && rows.every((row) => Number(row.dataset.count) >= n);
    }, kStreamUpdates, { timeout: kWaitMs });
    assert.equal(await tab.isVisible('#error'), false);
    await tab.click('#stop');
    const streams = (await wireRows(tab)).filter((row) => /watch|WatchStockPrice/i.test(row.call));
    assert.equal(streams.length, 2, JSON.stringify(streams));
    for (const row of streams) {
      assert.ok(Number(row.messages) >= kStreamUpdates && Number(row.bytes) > 0,
        JSON.stringify(row));
    }
    assert.equal(streamed.length, 2, `the streams' responses: ${JSON.stringify(streamed)}`);
    for (const stream of streamed) {
      assert.equal(stream.protocol, kHttp2,
        `${stream.path} went over ${stream.protocol}, not HTTP/2`);
    }
  });
}
