// Notifications (server streaming): one subscription for the signed-in user while the app is
// open, its count as a badge in the menu until the page is looked at. It follows the user:
// a new name ends the old subscription and starts one for the new name.
import { restCall, restStream } from '../rest.js';

const $ = (selector) => document.querySelector(selector);
const kMaxShown = 50;
const kResubscribeMs = 2000;  // after a stream that ended or failed

let shell = null;
let subscription = null;  // { user, abort }
let unseen = 0;

function setBadge() {
  const badge = $('#badge');
  badge.dataset.count = String(unseen);
  badge.textContent = String(unseen);
  badge.hidden = unseen === 0;
}

function onNotification(notification) {
  const item = document.createElement('li');
  item.dataset.id = notification.id;
  item.textContent = `${new Date(Number(notification.timestamp)).toISOString().slice(11, 19)}  ` +
    `${notification.title}: ${notification.body}`;
  $('#notifications').prepend(item);
  while ($('#notifications').children.length > kMaxShown) $('#notifications').lastElementChild.remove();
  if (document.body.dataset.page !== 'notifications') unseen += 1;
  setBadge();
}

function subscribe() {
  const user = shell.user();
  if (subscription?.user === user) return;
  subscription?.abort.abort();
  $('#notifications').replaceChildren();
  unseen = 0;
  setBadge();
  if (user === '') {
    subscription = null;
    return;
  }
  const current = { user, abort: new AbortController() };
  subscription = current;
  restStream(`/users/${encodeURIComponent(user)}/notifications`, onNotification,
    { signal: current.abort.signal })
    .catch(() => {})
    .finally(() => {
      if (subscription !== current || current.abort.signal.aborted) return;
      subscription = null;
      setTimeout(subscribe, kResubscribeMs);
    });
}

export function show() {
  unseen = 0;
  setBadge();
}

export function init(appShell) {
  shell = appShell;
  $('#user').addEventListener('change', subscribe);
  $('#notify-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await restCall('POST', `/users/${encodeURIComponent(shell.user())}/notifications`,
        { body: { title: $('#notify-title').value, body: 'sent from the app' } });
    } catch (error) {
      shell.showError('Notify', error);
    }
  });
  subscribe();
}
