// REST/JSON through fetch on the page's own origin (the gateway serves the app), with each
// exchange recorded for the wire log.
import { record } from './wire.js';

const encoder = new TextEncoder();

export class RestError extends Error {
  constructor(status, body, headers = new Headers()) {
    super(body?.message ?? `HTTP ${status}`);
    this.httpStatus = status;
    this.code = body?.code ?? 2;
    this.headers = headers;
  }
}

// One JSON request and its answer: { body, headers, status }.
export async function restCall(method, path, { body, headers = {}, signal } = {}) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const row = record({ call: `${method} ${path}`, protocol: 'REST/JSON' });
  const response = await fetch(path, {
    method,
    body: text,
    signal,
    headers: text === undefined ? headers : { 'content-type': 'application/json', ...headers },
  });
  const raw = await response.text();
  const serverId = response.headers.get('x-server-id') ?? '';
  row.update({ status: response.status, bytes: encoder.encode(raw).length, messages: 1, serverId });
  const parsed = raw === '' ? {} : JSON.parse(raw);
  if (!response.ok) throw new RestError(response.status, parsed, response.headers);
  return { body: parsed, headers: response.headers, status: response.status };
}

// A server stream as NDJSON: `onMessage` gets each object as its line arrives. Resolves when
// the stream ends; aborting `signal` cancels it.
export async function restStream(path, onMessage, { signal } = {}) {
  const row = record({ call: `GET ${path}`, protocol: 'REST NDJSON stream' });
  const response = await fetch(path, { signal, headers: { accept: 'application/x-ndjson' } });
  row.update({ status: response.status, serverId: response.headers.get('x-server-id') ?? '' });
  if (!response.ok) throw new RestError(response.status, await response.json().catch(() => ({})));
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  let bytes = 0;
  let messages = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.length;
      pending += decoder.decode(value, { stream: true });
      let newline;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (line === '') continue;
        const message = JSON.parse(line);
        if (message.error) throw new RestError(200, message.error);
        messages += 1;
        onMessage(message);
      }
      row.update({ bytes, messages });
    }
  } catch (error) {
    if (error.name === 'AbortError') {
      row.update({ status: 'cancelled' });
      return;
    }
    row.update({ status: 'error' });
    throw error;
  }
}
