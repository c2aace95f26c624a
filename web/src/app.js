// The app's shell: the menu (one page per RPC pattern, chosen by the URL's #/page), the
// signed-in user and the wire (REST/JSON or gRPC-Web) the pages share, and the error box.
import { codeName } from './switchboard_client.js';
import * as chat from './pages/chat.js';
import * as events from './pages/events.js';
import * as notifications from './pages/notifications.js';
import * as stocks from './pages/stocks.js';
import * as system from './pages/system.js';
import * as upload from './pages/upload.js';

const kPages = { events, stocks, upload, chat, notifications, system };
const kDefaultPage = 'events';

export const $ = (selector) => document.querySelector(selector);

export const shell = {
  user: () => $('#user').value.trim(),
  wire: () => $('#wire-format').value,
  showError(operation, error) {
    const box = $('#error');
    const code = typeof error.code === 'number' ? error.code : 2;
    box.dataset.operation = operation;
    box.dataset.code = String(code);
    box.dataset.message = error.message ?? String(error);
    box.textContent = `${operation} failed: ${codeName(code)} (${code}): ${box.dataset.message}`;
    box.hidden = false;
  },
  clearError() {
    const box = $('#error');
    box.hidden = true;
    box.textContent = '';
  },
};

function route() {
  const name = location.hash.replace(/^#\/?/, '') || kDefaultPage;
  const current = kPages[name] ? name : kDefaultPage;
  for (const section of document.querySelectorAll('main > section')) {
    section.hidden = section.dataset.page !== current;
  }
  for (const link of document.querySelectorAll('nav a')) {
    if (link.dataset.page === current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.body.dataset.page = current;
  shell.clearError();
  kPages[current].show?.();
}

$('#session').addEventListener('submit', (e) => e.preventDefault());
for (const page of Object.values(kPages)) page.init(shell);
window.addEventListener('hashchange', route);
route();
document.body.dataset.ready = 'true';
