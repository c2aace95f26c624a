// The calls the app makes, through the official grpc-web runtime (GrpcWebClientBase with
// MethodDescriptors, as protoc-gen-grpc-web would generate them) to Switchboard's gateway.
import { GrpcWebClientBase, MethodDescriptor, MethodType, StatusCode } from 'grpc-web';

import { messageClass } from './messages.js';

const GetEventRequest = messageClass('switchboard.ticket.v1.GetEventRequest');
const Event = messageClass('switchboard.ticket.v1.Event');
const ListEventsRequest = messageClass('switchboard.ticket.v1.ListEventsRequest');
const ListEventsResponse = messageClass('switchboard.ticket.v1.ListEventsResponse');
const StockRequest = messageClass('switchboard.stock.v1.StockRequest');
const PriceUpdate = messageClass('switchboard.stock.v1.PriceUpdate');

function descriptor(path, type, Request, Response) {
  return new MethodDescriptor(path, type, Request, Response,
    (request) => request.serializeBinary(), Response.deserializeBinary.bind(Response));
}

const kGetEvent = descriptor('/switchboard.ticket.v1.TicketService/GetEvent',
  MethodType.UNARY, GetEventRequest, Event);
const kListEvents = descriptor('/switchboard.ticket.v1.TicketService/ListEvents',
  MethodType.UNARY, ListEventsRequest, ListEventsResponse);
const kWatchStockPrice = descriptor('/switchboard.stock.v1.StockService/WatchStockPrice',
  MethodType.SERVER_STREAMING, StockRequest, PriceUpdate);

// The two wire formats of the runtime: 'text' is application/grpc-web-text (base64, read as it
// arrives, so server streams are live); 'binary' is application/grpc-web+proto (the runtime
// reads it only once the response is complete, so a stream's messages come at its end).
export const kFormats = ['text', 'binary'];

const kCodeNames = Object.fromEntries(Object.entries(StatusCode).map(([name, code]) => [code, name]));

export function codeName(code) {
  return kCodeNames[code] ?? `CODE_${code}`;
}

// The runtime's own metadata key: a deadline as epoch milliseconds, sent as grpc-timeout.
function callMetadata({ deadlineMs } = {}) {
  if (deadlineMs == null) return {};
  return { deadline: String(Date.now() + deadlineMs) };
}

export class SwitchboardClient {
  // `gatewayUrl`: where the gateway serves HTTP/1.1: the page's own origin.
  constructor(gatewayUrl, format) {
    if (!kFormats.includes(format)) throw new Error(`format "${format}": want text or binary`);
    this.url = gatewayUrl.replace(/\/+$/, '');
    this.format = format;
    this.base = new GrpcWebClientBase({ format });
  }

  getEvent(id, options) {
    return this.#unary(kGetEvent, new GetEventRequest({ id }), options);
  }

  listEvents({ pageSize = 0, pageToken = '' } = {}, options) {
    return this.#unary(kListEvents,
      new ListEventsRequest({ page_size: pageSize, page_token: pageToken }), options);
  }

  // Returns the runtime's ClientReadableStream: on('data'), on('status'), on('error'),
  // on('end'), cancel().
  watchStockPrice(symbol, options) {
    return this.base.serverStreaming(this.url + kWatchStockPrice.getName(),
      new StockRequest({ symbol }), callMetadata(options), kWatchStockPrice);
  }

  // Resolves to { message, metadata }: the response and its headers (x-server-id among them).
  #unary(method, request, options) {
    return new Promise((resolve, reject) => {
      let metadata = {};
      const call = this.base.rpcCall(this.url + method.getName(), request, callMetadata(options),
        method, (error, message) => (error ? reject(error) : resolve({ message, metadata })));
      call.on('metadata', (received) => { metadata = received; });
    });
  }
}
