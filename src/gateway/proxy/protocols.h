// The protocols a request can speak to the gateway, chosen by its content type from one table
// that every client-facing codec asks: a new protocol is a folder with its translation
// (codec/translation.h) and one entry here, with no change to the HTTP/1.1 or HTTP/2 code.
#pragma once

#include <memory>
#include <string_view>

#include "gateway/codec/translation.h"
#include "gateway/proxy/gateway_context.h"

namespace switchboard::gateway {

struct Protocol {
  const char* name;
  // Whether `content_type` (empty when the request has none) is this protocol's.
  bool (*matches)(std::string_view content_type);
  // Native gRPC: the bytes pass to the backend untouched, with no translation; it needs
  // HTTP/2 (its trailers and streams have no HTTP/1.1 form).
  bool pass_through;
  // The protocol of plain HTTP (REST): only such a request may be a WebSocket upgrade or one
  // of the gateway's own pages, and one no route claims may be a file of the `static:` root.
  bool plain_http;
  // A translation for one call; null for pass_through.
  std::unique_ptr<Translation> (*create)(const GatewayContext& context);
};

// The entry for a request's content type (null: none); the last entry, REST/JSON, takes every
// content type no other entry claims.
const Protocol& ProtocolFor(const std::string* content_type);

}  // namespace switchboard::gateway
