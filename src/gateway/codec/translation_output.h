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
};

}  // namespace switchboard::gateway
