// JSON request bodies and binary response messages of the real contracts (rest/transcoder.h).
// Input: a route's gRPC path ("/switchboard.booking.v1.BookingService/CreateBooking"; another
// line picks a route by its length), a newline, then the bytes: the request body as JSON, and
// the same bytes as the backend's serialized response. Checked: a body transcodes into a message
// of the input type or fails as the client's mistake; a response that parses becomes JSON that
// parses back into the output type, as one NDJSON line.
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "google/protobuf/util/json_util.h"
#include "message_check.h"
#include "real_routes.h"

namespace switchboard::fuzz {
namespace {

using gateway::rest::Route;

const Route& PickRoute(const gateway::rest::RouteTable& routes, std::string_view line) {
  for (const Route& route : routes.routes()) {
    if (route.grpc_path == line) return route;
  }
  return routes.routes()[line.size() % routes.routes().size()];
}

void CheckResponse(const RealRoutes& real, const Route& route, std::string_view binary) {
  const auto json = real.transcoder->TranscodeResponse(route, binary);
  if (!json.ok()) {
    SB_FUZZ_CHECK(json.status().code() == absl::StatusCode::kInternal);
    return;
  }
  if (route.response_body.empty()) {
    google::protobuf::DynamicMessageFactory factory;
    std::unique_ptr<google::protobuf::Message> message(
        factory.GetPrototype(route.method->output_type())->New());
    SB_FUZZ_CHECK(google::protobuf::util::JsonStringToMessage(*json, message.get()).ok());
  }
  const auto line = real.transcoder->ResponseToNdjsonLine(route, binary);
  SB_FUZZ_CHECK(line.ok());
  SB_FUZZ_CHECK(line->find('\n') == line->size() - 1);
}

}  // namespace
}  // namespace switchboard::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::fuzz;
  const auto& real = GetRealRoutes();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  const Route& route = PickRoute(*real.routes, input.substr(0, newline));
  const std::string_view bytes = input.substr(newline + 1);

  CheckTranscodedRequest(real.transcoder->TranscodeRequest(route, {}, "", bytes),
                         *route.method->input_type());
  CheckResponse(real, route, bytes);
  return 0;
}
