// The app as a user drives it, in Debian's headless Chromium (playwright-core), served by the
// gateway of a real `switchboard up` at its root (tests/browser/run-browser-tests.sh starts it
// and passes its URL in SWITCHBOARD_APP_URL): every page's main flow, both wires where both
// exist, two tabs chatting, an upload checked against the file's SHA-256, the deadline
// waterfall's hops in order, a 375 px viewport and a label on every control.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

const kAppUrl = process.env.SWITCHBOARD_APP_URL;
assert.ok(kAppUrl, 'SWITCHBOARD_APP_URL is not set: run tests/browser/run-browser-tests.sh');
const kChromium = process.env.SWITCHBOARD_CHROMIUM ?? '/usr/bin/chromium';
const kChromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];

const kWaitMs = 10000;            // any one thing the page should show
const kStreamUpdates = 3;         // live updates each watched symbol must show
const kUploadBytes = 3 * 1024 * 1024 + 17;  // several chunks, not a multiple of one
const kNarrowWidth = 375;
const kChain = ['gateway', 'booking', 'ticket', 'payment', 'fraud'];  // CreateBooking's hops
// Below what the booking chain needs (20 ms), so it is refused DEADLINE_EXCEEDED on the way.
const kShortDeadlineMs = 12;
const kFileTimeoutMs = 55000;     // the whole file, below the runner's bound
// The slow fraud switch: its delay (web/src/pages/fraud_switch.js) and a deadline well under it.
const kSlowFraudDelayMs = 3000;
const kUnderSlowFraudMs = 1000;

const watchdog = setTimeout(() => {
  console.error(`app.test: still running after ${kFileTimeoutMs} ms; giving up`);
  process.exit(1);
}, kFileTimeoutMs);
watchdog.unref();

let browser = null;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'switchboard-app-test-'));

before(async () => {
  browser = await chromium.launch({ executablePath: kChromium, headless: true, args: kChromiumArgs });
});

after(async () => {
  await browser?.close();
  rmSync(scratch, { recursive: true, force: true });
});

// A tab on `page` of the app; page errors fail the test.
async function open(t, page, { width = 1280, user = 'alice' } = {}) {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const tab = await context.newPage();
  const errors = [];
  tab.on('pageerror', (error) => errors.push(error.message));
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors, [], 'the page threw');
  });
  await tab.goto(new URL(`#/${page}`, kAppUrl).href);
  await tab.waitForSelector('body[data-ready="true"]', { timeout: kWaitMs });
  if (user !== 'alice') {
    await tab.fill('#user', user);
    await tab.dispatchEvent('#user', 'change');
  }
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

test('the gateway serves the app at its root', async () => {
  const response = await fetch(kAppUrl);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/html/);
  assert.match(await response.text(), /<nav aria-label="Pages">/);
});

for (const wire of ['rest', 'grpc-web']) {
  test(`events over ${wire}: list, detail, and the wire shown`, async (t) => {
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
    // An event that does not exist: NOT_FOUND, by its gRPC code on either wire.
    await tab.fill('#event-id', 'evt-nope');
    await tab.click('#get-event');
    await tab.waitForSelector('#error:not([hidden])', { timeout: kWaitMs });
    assert.equal(await tab.getAttribute('#error', 'data-code'), '5');
    assert.equal(await tab.isHidden('#event'), true);
  });
}

test('a booking with a deadline: confirmed, idempotent, and its waterfall in call order', async (t) => {
  const tab = await open(t, 'events');
  await tab.fill('#book-event', 'evt-3');
  await tab.fill('#book-deadline', '4000');
  await tab.click('#book');
  await shows(tab, '#booking[data-status]');
  assert.equal(await tab.getAttribute('#booking', 'data-status'), 'STATUS_CONFIRMED');
  const first = await tab.getAttribute('#booking', 'data-id');
  const hops = await tab.$$eval('#waterfall li', (items) =>
    items.map((item) => ({ hop: item.dataset.hop, ms: Number(item.dataset.ms) })));
  assert.deepEqual(hops.map((h) => h.hop), kChain);
  assert.ok(hops[0].ms <= 4000 && hops[0].ms > 3000, JSON.stringify(hops));
  for (let i = 1; i < hops.length; ++i) assert.ok(hops[i].ms < hops[i - 1].ms, JSON.stringify(hops));
  // The same key again: the first booking, not a second one.
  await tab.evaluate(() => document.querySelector('#booking').removeAttribute('data-status'));
  await tab.click('#book');
  await shows(tab, '#booking[data-status]');
  assert.equal(await tab.getAttribute('#booking', 'data-id'), first);
  // A deadline too short for the chain: DEADLINE_EXCEEDED, and the hops it reached.
  await tab.fill('#book-key', '');
  await tab.fill('#book-deadline', String(kShortDeadlineMs));
  await tab.click('#book');
  await tab.waitForSelector('#error:not([hidden])', { timeout: kWaitMs });
  assert.equal(await tab.getAttribute('#error', 'data-code'), '4');
  const reached = await tab.$$eval('#waterfall li', (items) => items.map((i) => i.dataset.hop));
  assert.ok(reached.length >= 1, 'no hop drawn');
  assert.deepEqual(reached, kChain.slice(0, reached.length));
});

async function fraudDelayMs() {
  const response = await fetch(new URL('/fraud/delay', kAppUrl));
  assert.equal(response.status, 200);
  return Number((await response.json()).delayMs ?? 0);
}

async function fraudDelayOff() {
  await fetch(new URL('/fraud/delay', kAppUrl), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ delayMs: 0 }),
  });
}

// The seats the event on the page shows ("4990 of 5000" -> 4990).
async function seatsShown(tab, eventId) {
  await tab.fill('#event-id', eventId);
  await tab.evaluate(() => document.querySelector('#event').removeAttribute('data-id'));
  await tab.click('#get-event');
  await shows(tab, `#event[data-id="${eventId}"]`);
  return Number.parseInt(await tab.textContent('#event dd[data-field="seats available"]'), 10);
}

test('slow fraud: a shorter deadline times out, the seats come back; off again, it books', async (t) => {
  const eventId = 'evt-5';
  const tab = await open(t, 'events');
  try {
    await shows(tab, '#slow-fraud-state[data-delay-ms="0"]');
    assert.equal(await tab.isChecked('#slow-fraud'), false);
    const before = await seatsShown(tab, eventId);
    // On, from the keyboard: the fraud service answered the PUT and says so.
    await tab.focus('#slow-fraud');
    await tab.keyboard.press('Space');
    await shows(tab, `#slow-fraud-state[data-delay-ms="${kSlowFraudDelayMs}"]`);
    assert.match(await tab.getAttribute('#slow-fraud-state', 'data-server-id'), /^fraud-1@/);
    assert.equal(await fraudDelayMs(), kSlowFraudDelayMs);

    await tab.fill('#book-event', eventId);
    await tab.fill('#book-key', '');
    await tab.fill('#book-deadline', String(kUnderSlowFraudMs));
    await tab.click('#book');
    await tab.waitForSelector('#error:not([hidden])', { timeout: kWaitMs });
    assert.equal(await tab.getAttribute('#error', 'data-code'), '4', await tab.textContent('#error'));
    // The hops the trace reached, in call order, from the gateway's full budget.
    const hops = await tab.$$eval('#waterfall li', (items) =>
      items.map((item) => ({ hop: item.dataset.hop, ms: Number(item.dataset.ms) })));
    assert.ok(hops.length >= 1, 'no hop drawn');
    assert.deepEqual(hops.map((h) => h.hop), kChain.slice(0, hops.length));
    assert.ok(hops[0].ms <= kUnderSlowFraudMs, JSON.stringify(hops));
    // The booking released its seats (compensation runs beside the gateway's answer, so the
    // event is reloaded until it shows them, within the usual wait).
    const until = Date.now() + kWaitMs;
    let after = await seatsShown(tab, eventId);
    while (after !== before && Date.now() < until) {
      await tab.waitForTimeout(100);
      after = await seatsShown(tab, eventId);
    }
    assert.equal(after, before, 'the failed booking kept its seats');

    // Off: the same booking now goes through.
    await tab.click('#slow-fraud');
    await shows(tab, '#slow-fraud-state[data-delay-ms="0"]');
    assert.equal(await tab.isChecked('#slow-fraud'), false);
    await tab.fill('#book-key', '');
    await tab.click('#book');
    await shows(tab, '#booking[data-status]');
    assert.equal(await tab.getAttribute('#booking', 'data-status'), 'STATUS_CONFIRMED');
    assert.equal(await seatsShown(tab, eventId), before - 1);
  } finally {
    // The delay is the fraud process's, shared by every other test: off whatever happened.
    await fraudDelayOff();
  }
});

test('slow fraud is turned off when the user leaves the page or closes it', async (t) => {
  const tab = await open(t, 'events');
  try {
    await shows(tab, '#slow-fraud-state[data-delay-ms="0"]');
    await tab.check('#slow-fraud');
    await shows(tab, `#slow-fraud-state[data-delay-ms="${kSlowFraudDelayMs}"]`);
    // To another page of the app: the switch goes off (its state stays in the hidden page).
    await tab.click('nav a[data-page="stocks"]');
    await tab.waitForSelector('#slow-fraud-state[data-delay-ms="0"]',
      { state: 'attached', timeout: kWaitMs });
    assert.equal(await fraudDelayMs(), 0);
    // Back, on again, and away from the app altogether: the unload request turns it off.
    await tab.click('nav a[data-page="events"]');
    await tab.check('#slow-fraud');
    await shows(tab, `#slow-fraud-state[data-delay-ms="${kSlowFraudDelayMs}"]`);
    await tab.goto('about:blank');
    const until = Date.now() + kWaitMs;
    while ((await fraudDelayMs()) !== 0 && Date.now() < until) await tab.waitForTimeout(100);
    assert.equal(await fraudDelayMs(), 0, 'still slow after the page was unloaded');
  } finally {
    await fraudDelayOff();
  }
});

for (const wire of ['rest', 'grpc-web']) {
  test(`stocks over ${wire}: several symbols live`, async (t) => {
    const tab = await open(t, 'stocks');
    await tab.selectOption('#wire-format', wire);
    await tab.fill('#symbols', 'AAPL, ACME');
    await tab.click('#watch');
    await tab.waitForFunction((n) => {
      const rows = [...document.querySelectorAll('#quotes tbody tr')];
      return rows.length === 2 && rows.every((row) => Number(row.dataset.count) >= n);
    }, kStreamUpdates, { timeout: kWaitMs });
    assert.equal(await tab.isVisible('#error'), false);
    assert.equal(await tab.$$eval('#chart polyline', (lines) => lines.length), 2);
    await tab.click('#stop');
    const streams = (await wireRows(tab)).filter((row) => /watch|WatchStockPrice/i.test(row.call));
    assert.equal(streams.length, 2, JSON.stringify(streams));
    for (const row of streams) {
      assert.ok(Number(row.messages) >= kStreamUpdates && Number(row.bytes) > 0, JSON.stringify(row));
      if (wire === 'rest') assert.match(row.serverId, /^stock-1@/);
    }
  });
}

for (const via of ['rest', 'websocket']) {
  test(`an upload over ${via} matches the file's SHA-256`, async (t) => {
    const bytes = randomBytes(kUploadBytes);
    const file = path.join(scratch, `upload-${via}.bin`);
    writeFileSync(file, bytes);
    const tab = await open(t, 'upload');
    await tab.setInputFiles('#file', file);
    await tab.selectOption('#upload-via', via);
    await tab.click('#upload');
    await shows(tab, '#upload-result[data-sha256]');
    assert.equal(await tab.getAttribute('#upload-result', 'data-sha256'),
      createHash('sha256').update(bytes).digest('hex'));
    assert.equal(await tab.getAttribute('#upload-result', 'data-size'), String(kUploadBytes));
    assert.equal(await tab.getAttribute('#upload-progress', 'data-sent'), String(kUploadBytes));
  });
}

test('two tabs chat in one room', async (t) => {
  const room = `room-${Date.now()}`;
  const alice = await open(t, 'chat');
  const bob = await open(t, 'chat', { user: 'bob' });
  for (const tab of [alice, bob]) {
    await tab.fill('#room', room);
    await tab.click('#join');
    await shows(tab, '#chat-state[data-state="open"]');
  }
  await alice.waitForSelector('#messages li[data-kind="KIND_JOIN"][data-user="bob"]',
    { timeout: kWaitMs });
  await alice.fill('#say', 'hello bob');
  await alice.press('#say', 'Enter');
  await bob.waitForSelector('#messages li[data-user="alice"][data-kind="KIND_TEXT"]',
    { timeout: kWaitMs });
  assert.equal(await bob.textContent('#messages li[data-kind="KIND_TEXT"]'), 'alice: hello bob');
  await bob.fill('#say', 'hi alice');
  await bob.click('#send');
  await alice.waitForSelector('#messages li[data-user="bob"][data-kind="KIND_TEXT"]',
    { timeout: kWaitMs });
  await bob.click('#leave');
  await alice.waitForSelector('#messages li[data-kind="KIND_LEAVE"][data-user="bob"]',
    { timeout: kWaitMs });
  // A third tab joining later gets the history.
  const carol = await open(t, 'chat', { user: 'carol' });
  await carol.fill('#room', room);
  await carol.click('#join');
  await carol.waitForSelector('#messages li[data-kind="KIND_TEXT"][data-user="alice"]',
    { timeout: kWaitMs });
});

test('a confirmed booking lights the notification badge', async (t) => {
  const user = `user-${Date.now()}`;
  const tab = await open(t, 'system', { user });
  await tab.waitForTimeout(300);  // the subscription is open before the booking
  const response = await fetch(new URL('/events/evt-4/bookings', kAppUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: user, seats: 1 }),
  });
  assert.equal(response.status, 200, await response.text());
  await tab.waitForSelector('#badge[data-count="1"]:not([hidden])', { timeout: kWaitMs });
  await tab.click('nav a[data-page="notifications"]');
  await shows(tab, '#notifications li');
  assert.match(await tab.textContent('#notifications li'), /Booking confirmed/);
  assert.equal(await tab.isHidden('#badge'), true);
});

test('system: live metrics and the replicas that answered', async (t) => {
  const tab = await open(t, 'events');
  await tab.click('#list-events');
  await shows(tab, '#events tbody tr');
  await tab.click('nav a[data-page="system"]');
  await shows(tab, '#metrics dd');
  assert.equal(await tab.$$eval('#metrics dd', (dds) => dds.length), 5);
  assert.ok(Number(await tab.textContent('#metrics dd[data-metric="switchboard_gateway_calls_total"]')) > 0);
  await shows(tab, '#backends tr[data-backend]');
  await shows(tab, '#replicas tr[data-replica^="ticket-1@"]');
});

test('375 px wide: nothing scrolls sideways, every control has a label', async (t) => {
  const tab = await open(t, 'events', { width: kNarrowWidth });
  for (const page of ['events', 'stocks', 'upload', 'chat', 'notifications', 'system']) {
    await tab.click(`nav a[data-page="${page}"]`);
    await tab.waitForSelector(`#page-${page}:not([hidden])`);
    const width = await tab.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= kNarrowWidth, `${page}: the page is ${width} px wide`);
    const unlabelled = await tab.$$eval('input, select, button, progress', (controls) =>
      controls.filter((control) => control.offsetParent !== null || control.id === 'file')
        .filter((control) => {
          const text = control.labels?.[0]?.textContent || control.getAttribute('aria-label') ||
            (control.tagName === 'BUTTON' ? control.textContent : '');
          return !text.trim();
        }).map((control) => control.id || control.outerHTML));
    assert.deepEqual(unlabelled, [], `${page}: controls without a label`);
  }
  // The menu works from the keyboard: Tab to a link, Enter follows it.
  await tab.focus('nav a[data-page="chat"]');
  await tab.keyboard.press('Enter');
  await tab.waitForSelector('#page-chat:not([hidden])');
});
