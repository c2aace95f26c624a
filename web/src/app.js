// The page's behaviour: list and show events, watch a stock price live, and show every failure
// with its gRPC status code. ?gateway=URL and ?format=text|binary preset the two settings.
import { SwitchboardClient, codeName, kFormats } from './switchboard_client.js';

const kDefaultGatewayPort = 8080;  // what `switchboard up` listens on unless told otherwise
const kMaxListedPrices = 12;       // rows kept in the list; the count covers every update
const kSparklinePoints = 60;

const $ = (selector) => document.querySelector(selector);

const params = new URLSearchParams(location.search);
$('#gateway').value = params.get('gateway') ??
  `${location.protocol}//${location.hostname || '127.0.0.1'}:${kDefaultGatewayPort}`;
if (kFormats.includes(params.get('format'))) $('#format').value = params.get('format');

let client = null;
let watch = null;  // { stream, startedAt } while a WatchStockPrice runs
let nextPageToken = '';

function currentClient() {
  const url = $('#gateway').value;
  const format = $('#format').value;
  if (client === null || client.url !== url.replace(/\/+$/, '') || client.format !== format) {
    client = new SwitchboardClient(url, format);
  }
  return client;
}

function showError(operation, error) {
  const box = $('#error');
  const code = typeof error.code === 'number' ? error.code : 2;  // UNKNOWN when not an RpcError
  box.dataset.operation = operation;
  box.dataset.code = String(code);
  box.dataset.codeName = codeName(code);
  box.dataset.message = error.message ?? String(error);
  box.textContent = `${operation} failed: ${codeName(code)} (${code}): ${box.dataset.message}`;
  box.hidden = false;
}

function clearError() {
  const box = $('#error');
  box.hidden = true;
  box.textContent = '';
  for (const key of ['operation', 'code', 'codeName', 'message']) delete box.dataset[key];
}

function formatMoney(cents, currency) {
  return `${(cents / 100).toFixed(2)} ${currency}`;
}

function timestampToIso(timestamp) {
  if (!timestamp) return '';
  return new Date(timestamp.seconds * 1000 + Math.floor(timestamp.nanos / 1e6)).toISOString();
}

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

// --- events ------------------------------------------------------------------------------------

async function listEvents(pageToken) {
  clearError();
  const pageSize = Number($('#page-size').value) || 0;
  try {
    const response = await currentClient().listEvents({ pageSize, pageToken });
    const body = $('#events tbody');
    body.replaceChildren(...response.events.map((event) => {
      const row = document.createElement('tr');
      row.dataset.id = event.id;
      row.append(cell(event.id), cell(event.name), cell(event.venue),
        cell(timestampToIso(event.starts_at).slice(0, 10)),
        cell(formatMoney(event.price, event.currency)));
      row.addEventListener('click', () => {
        $('#event-id').value = event.id;
        getEvent();
      });
      return row;
    }));
    nextPageToken = response.next_page_token;
    $('#events').dataset.nextPageToken = nextPageToken;
    $('#next-page').disabled = nextPageToken === '';
  } catch (error) {
    showError('ListEvents', error);
  }
}

async function getEvent() {
  clearError();
  const dl = $('#event');
  dl.hidden = true;
  delete dl.dataset.id;
  try {
    const event = await currentClient().getEvent($('#event-id').value.trim());
    const fields = [
      ['id', event.id, event.id],
      ['name', event.name, event.name],
      ['venue', event.venue, event.venue],
      ['starts_at', timestampToIso(event.starts_at), timestampToIso(event.starts_at)],
      ['capacity', String(event.capacity), String(event.capacity)],
      ['seats_available', String(event.seats_available), String(event.seats_available)],
      ['price', String(event.price), formatMoney(event.price, event.currency)],
      ['currency', event.currency, event.currency],
    ];
    dl.replaceChildren(...fields.flatMap(([field, value, shown]) => {
      const dt = document.createElement('dt');
      dt.textContent = field;
      const dd = document.createElement('dd');
      dd.dataset.field = field;
      dd.dataset.value = value;
      dd.textContent = shown;
      return [dt, dd];
    }));
    dl.dataset.id = event.id;
    dl.hidden = false;
  } catch (error) {
    showError('GetEvent', error);
  }
}

// --- stock prices ------------------------------------------------------------------------------

function setStreamState(state, elapsedMs) {
  const span = $('#stream-state');
  span.dataset.state = state;
  span.textContent = elapsedMs == null ? state : `${state} after ${elapsedMs} ms`;
  if (elapsedMs == null) delete span.dataset.elapsedMs;
  else span.dataset.elapsedMs = String(elapsedMs);
  $('#watch').disabled = state === 'streaming';
  $('#stop').disabled = state !== 'streaming';
}

function drawSparkline(prices) {
  const recent = prices.slice(-kSparklinePoints);
  const low = Math.min(...recent);
  const span = Math.max(...recent) - low || 1;
  const step = recent.length > 1 ? 300 / (recent.length - 1) : 0;
  $('#sparkline polyline').setAttribute('points', recent
    .map((price, i) => `${(i * step).toFixed(1)},${(56 - ((price - low) / span) * 52).toFixed(1)}`)
    .join(' '));
}

function startWatch() {
  stopWatch('cancelled');
  clearError();
  const symbol = $('#symbol').value.trim();
  const deadlineText = $('#deadline-ms').value.trim();
  const deadlineMs = deadlineText === '' ? undefined : Number(deadlineText);
  const list = $('#prices');
  list.replaceChildren();
  const prices = [];
  let previous = null;
  $('#quote-symbol').textContent = symbol;
  $('#quote-price').textContent = '…';
  $('#quote-count').dataset.count = '0';
  $('#quote-count').textContent = '';
  drawSparkline([]);

  const startedAt = performance.now();
  const elapsed = () => Math.round(performance.now() - startedAt);
  const stream = currentClient().watchStockPrice(symbol, { deadlineMs });
  const current = { stream, elapsed, done: false };
  watch = current;
  setStreamState('streaming');

  const finish = (state) => {
    if (current.done) return;
    current.done = true;
    if (watch === current) watch = null;
    setStreamState(state, elapsed());
  };
  stream.on('data', (update) => {
    if (current.done) return;
    prices.push(update.price);
    const item = document.createElement('li');
    item.dataset.seq = String(prices.length);
    item.dataset.symbol = update.symbol;
    item.dataset.price = String(update.price);
    item.dataset.timestamp = String(update.timestamp);
    item.dataset.dropped = String(update.dropped_since_last);
    const direction = previous === null || update.price === previous ? 'flat'
      : update.price > previous ? 'up' : 'down';
    item.className = direction;
    item.textContent = `${new Date(update.timestamp).toISOString().slice(11, 23)}  ` +
      `${update.price.toFixed(2)}`;
    list.prepend(item);
    while (list.children.length > kMaxListedPrices) list.lastElementChild.remove();
    $('#quote-price').textContent = update.price.toFixed(2);
    $('#quote-price').className = direction;
    $('#quote-count').dataset.count = String(prices.length);
    $('#quote-count').textContent = `${prices.length} updates`;
    drawSparkline(prices);
    previous = update.price;
  });
  stream.on('error', (error) => {
    if (current.done) return;
    finish('error');
    showError('WatchStockPrice', error);
  });
  stream.on('status', (status) => {
    if (status.code !== 0 && !current.done) {
      finish('error');
      showError('WatchStockPrice', { code: status.code, message: status.details });
    }
  });
  stream.on('end', () => finish('ended'));
}

function stopWatch(state) {
  if (watch === null) return;
  const current = watch;
  current.stream.cancel();
  current.done = true;
  watch = null;
  setStreamState(state, current.elapsed());
}

// --- wiring ------------------------------------------------------------------------------------

function syncFormatNote() {
  $('#binary-note').hidden = $('#format').value !== 'binary';
}

$('#connection').addEventListener('submit', (e) => e.preventDefault());
$('#format').addEventListener('change', () => {
  stopWatch('cancelled');
  syncFormatNote();
});
$('#gateway').addEventListener('change', () => stopWatch('cancelled'));
$('#list-form').addEventListener('submit', (e) => {
  e.preventDefault();
  listEvents('');
});
$('#next-page').addEventListener('click', () => listEvents(nextPageToken));
$('#event-form').addEventListener('submit', (e) => {
  e.preventDefault();
  getEvent();
});
$('#watch-form').addEventListener('submit', (e) => {
  e.preventDefault();
  startWatch();
});
$('#stop').addEventListener('click', () => stopWatch('cancelled'));
syncFormatNote();
document.body.dataset.ready = 'true';
