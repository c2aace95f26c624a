// What a translation gives the client-facing side to send after each event of a call, the
// same shape for every protocol (gRPC-Web, REST), so each codec has one way to send it.
#pragma once

#include <optional>
#include <string>

#include "gateway/codec/headers.h"

namespace switchboard::gateway {

// Applied in this order: `head` (at most once per call), `body`, then end the response if
// `end_stream`. Every field may be empty.
struct DownstreamOutput {
  std::optional<ResponseHead> head;
  std::string body;
  bool end_stream = false;
  // The translation failed the call itself (a backend response it cannot translate): the gRPC
  // code it answered with, for the metrics and the access log; -1 otherwise.
  int gateway_status = -1;
};

}  // namespace switchboard::gateway
