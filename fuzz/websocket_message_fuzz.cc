// The JSON text frames a browser sends over a WebSocket stream (websocket/websocket_bridge.cc).
// The bridge has no decoder of its own: each non-empty text frame goes whole to
// Transcoder::TranscodeRequest with the route and bindings of the upgrade's path and no query,
// which is what this target calls. Input: the upgrade's path ("/chat/lobby"), a newline, then
// one frame's text. Checked as for a REST body: a message of the method's input type or the
// client's mistake.
#include <string_view>

#include "gateway/rest/rest_call.h"
#include "message_check.h"
#include "real_routes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::gateway::rest;
  const auto& real = switchboard::fuzz::GetRealRoutes();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  const auto match = MatchWebSocketRoute(*real.routes, input.substr(0, newline));
  if (!match.ok()) return 0;
  SB_FUZZ_CHECK(match->route->client_streaming);
  const std::string_view text = input.substr(newline + 1);
  if (text.empty()) return 0;  // the browser's half-close, not a message
  switchboard::fuzz::CheckTranscodedRequest(
      real.transcoder->TranscodeRequest(*match->route, match->bindings, "", text),
      *match->route->method->input_type());
  return 0;
}
