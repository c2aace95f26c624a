// A REST request line against the routes of the real contracts (rest/route_table.h,
// rest/rest_call.h, rest/field_values.h): "METHOD target", the target's path choosing the route
// and binding its variables, its query string setting fields. Checked: a match is for this
// method (or any, or GET for HEAD) with one binding per variable; a refusal is 404, 405 with
// Allow, 426 or 400/414; a request that is not refused transcodes into a message of the route's
// input type or fails as the client's mistake.
#include <string>
#include <string_view>
#include <variant>

#include "fuzz_check.h"
#include "gateway/rest/rest_call.h"
#include "message_check.h"
#include "real_routes.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::gateway::rest;
  const auto& real = switchboard::fuzz::GetRealRoutes();
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) return 0;
  const std::string method(line.substr(0, space));
  const auto [path, query] = SplitRequestTarget(line.substr(space + 1));

  auto matched = MatchRestRoute(*real.routes, method, path);
  if (auto* rejection = std::get_if<RestRejection>(&matched)) {
    const auto code = rejection->status.code();
    SB_FUZZ_CHECK(code == absl::StatusCode::kNotFound || code == absl::StatusCode::kUnimplemented ||
                  code == absl::StatusCode::kInvalidArgument ||
                  code == absl::StatusCode::kFailedPrecondition);
    if (code == absl::StatusCode::kNotFound) {
      SB_FUZZ_CHECK(real.routes->AllowedMethods(path).empty());
    }
    return 0;
  }
  const RouteMatch& match = std::get<RouteMatch>(matched);
  const Route& route = *match.route;
  SB_FUZZ_CHECK(route.http_method == method || route.http_method == "*" ||
                (method == "HEAD" && route.http_method == "GET"));
  SB_FUZZ_CHECK(match.bindings.size() == route.path_template.variables().size());
  SB_FUZZ_CHECK(!real.routes->AllowedMethods(path).empty());

  const auto binary = real.transcoder->TranscodeRequest(route, match.bindings, query, "");
  switchboard::fuzz::CheckTranscodedRequest(binary, *route.method->input_type());
  return 0;
}
