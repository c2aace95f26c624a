// Stocks (server streaming): several symbols watched at once over the chosen wire, each with
// its update count, updates per second and the updates the server dropped for a slow reader.
import { SwitchboardClient } from '../switchboard_client.js';
import { restStream } from '../rest.js';
import { record } from '../wire.js';

const $ = (selector) => document.querySelector(selector);
const kMaxSymbols = 8;
const kChartPoints = 80;
const kRateWindowMs = 3000;  // updates per second over this last stretch
const kColors = ['#2f6feb', '#b42318', '#1a7f37', '#9a6700', '#8250df', '#0a7ea4', '#cf222e', '#57606a'];

let shell = null;
let watches = [];  // { symbol, stop(), row, prices, times, count, dropped }

function setWatching(on) {
  $('#watch').disabled = on;
  $('#stop').disabled = !on;
  $('#stocks-form').dataset.state = on ? 'streaming' : 'idle';
}

function drawChart() {
  const svg = $('#chart');
  svg.replaceChildren(...watches.map((watch, index) => {
    const recent = watch.prices.slice(-kChartPoints);
    const low = Math.min(...recent);
    const span = Math.max(...recent) - low || 1;
    const step = recent.length > 1 ? 300 / (kChartPoints - 1) : 0;
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    line.setAttribute('stroke', kColors[index % kColors.length]);
    line.setAttribute('points', recent.map((price, i) =>
      `${(i * step).toFixed(1)},${(76 - ((price - low) / span) * 72).toFixed(1)}`).join(' '));
    return line;
  }));
}

function showUpdate(watch, price, dropped) {
  const now = performance.now();
  watch.prices.push(price);
  if (watch.prices.length > kChartPoints) watch.prices.shift();
  watch.times.push(now);
  while (watch.times.length && now - watch.times[0] > kRateWindowMs) watch.times.shift();
  watch.count += 1;
  watch.dropped += dropped;
  const cells = watch.row.children;
  const previous = Number(watch.row.dataset.price);
  cells[1].textContent = price.toFixed(2);
  cells[1].className = price >= previous ? 'up' : 'down';
  cells[2].textContent = String(watch.count);
  const seconds = Math.min(kRateWindowMs, now - watch.startedAt) / 1000;
  cells[3].textContent = (watch.times.length / Math.max(seconds, 0.001)).toFixed(1);
  cells[4].textContent = String(watch.dropped);
  watch.row.dataset.price = String(price);
  watch.row.dataset.count = String(watch.count);
  drawChart();
}

function watchOne(symbol, index) {
  const row = document.createElement('tr');
  row.dataset.symbol = symbol;
  row.dataset.count = '0';
  for (const text of [symbol, '…', '0', '0.0', '0']) {
    const td = document.createElement('td');
    td.textContent = text;
    row.append(td);
  }
  row.firstElementChild.style.color = kColors[index % kColors.length];
  const watch = { symbol, row, prices: [], times: [], count: 0, dropped: 0,
    startedAt: performance.now(), stop: () => {} };
  const fail = (error) => {
    row.dataset.state = 'error';
    shell.showError(`WatchStockPrice ${symbol}`, error);
  };
  if (shell.wire() === 'grpc-web') {
    const wire = record({ call: `StockService.WatchStockPrice ${symbol}`,
      protocol: 'gRPC-Web text stream' });
    const stream = new SwitchboardClient(location.origin, 'text').watchStockPrice(symbol);
    let bytes = 0;
    stream.on('metadata', (md) => wire.update({ serverId: md['x-server-id'] ?? '' }));
    stream.on('data', (update) => {
      bytes += update.serializeBinary().length + 5;
      wire.update({ bytes, messages: watch.count + 1 });
      showUpdate(watch, update.price, Number(update.dropped_since_last));
    });
    stream.on('status', (status) => wire.update({ status: status.code }));
    stream.on('error', (error) => {
      wire.update({ status: error.code });
      fail(error);
    });
    watch.stop = () => {
      stream.cancel();
      wire.update({ status: 'cancelled' });
    };
  } else {
    const abort = new AbortController();
    restStream(`/stocks/${encodeURIComponent(symbol)}/watch`, (update) =>
      showUpdate(watch, update.price, Number(update.droppedSinceLast ?? 0)),
    { signal: abort.signal }).catch(fail);
    watch.stop = () => abort.abort();
  }
  return watch;
}

function stopAll() {
  for (const watch of watches) watch.stop();
  setWatching(false);
}

function start() {
  stopAll();
  shell.clearError();
  const symbols = [...new Set($('#symbols').value.split(/[\s,]+/).map((s) => s.trim().toUpperCase())
    .filter(Boolean))].slice(0, kMaxSymbols);
  watches = symbols.map(watchOne);
  $('#quotes tbody').replaceChildren(...watches.map((watch) => watch.row));
  setWatching(watches.length > 0);
}

export function init(appShell) {
  shell = appShell;
  $('#stocks-form').addEventListener('submit', (e) => {
    e.preventDefault();
    start();
  });
  $('#stop').addEventListener('click', stopAll);
  $('#wire-format').addEventListener('change', stopAll);
}
