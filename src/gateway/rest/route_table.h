// The REST routes of a set of gRPC services, from the google.api.http annotations of a descriptor
// pool of the gateway's own: which method an HTTP request (method + path) calls, with which path
// bindings, or why none does (404 vs 405).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "google/api/http.pb.h"
#include "google/protobuf/descriptor.h"
#include "limits.h"
#include "path_template.h"

namespace switchboard::gateway::rest {

// One HTTP binding of one method: the rule of its google.api.http option or one of that rule's
// additional_bindings.
struct Route {
  // "GET", "PUT", "POST", "DELETE", "PATCH", a custom kind as written ("HEAD", "OPTIONS"), or "*"
  // for any method.
  std::string http_method;
  PathTemplate path_template;
  const google::protobuf::MethodDescriptor* method = nullptr;
  // ":path" of the gRPC call: "/switchboard.ticket.v1.TicketService/GetEvent".
  std::string grpc_path;
  // "" (no body), "*" (every field not bound by the path), or a top-level request field's name.
  std::string body;
  const google::protobuf::FieldDescriptor* body_field = nullptr;  // when body names a field
  // "" (the whole response) or a top-level response field's name.
  std::string response_body;
  const google::protobuf::FieldDescriptor* response_body_field = nullptr;
  // The resolved fields of each path variable, parallel to path_template.variables().
  std::vector<std::vector<const google::protobuf::FieldDescriptor*>> variable_fields;
  bool client_streaming = false;
  bool server_streaming = false;
  // 0 for the rule itself, i for its i-th additional binding (1-based).
  size_t binding_index = 0;
};

struct RouteMatch {
  const Route* route = nullptr;
  // One per path variable, in template order; field paths use proto field names.
  std::vector<PathBinding> bindings;
};

class RouteTable {
 public:
  // Routes for every method with a google.api.http rule of the services named (full names, e.g.
  // "switchboard.ticket.v1.TicketService"). INVALID_ARGUMENT naming the method and the rule for: a
  // service the pool does not define, a malformed template, a path variable naming no field or a
  // repeated/map/message field, a body or response_body naming no top-level field, nested
  // additional_bindings, a rule without a pattern, or two routes with the same method and shape.
  // `pool` must outlive the table.
  static absl::StatusOr<RouteTable> Build(const google::protobuf::DescriptorPool& pool,
                                          const std::vector<std::string>& services,
                                          const RestLimits& limits = {});

  // The route for a request path (without the query string; see SplitRequestTarget). Errors:
  // NOT_FOUND (404) when no route's template matches the path; UNIMPLEMENTED with HTTP 405
  // attached (errors.h) when some do but none for this method, the message listing the allowed
  // ones; INVALID_ARGUMENT (400, or 414 when too long) for a malformed path. Among matching routes,
  // the most specific template wins (PathTemplate::ComparePrecedence), then a route for this very
  // method over a "*" one, then the first declared. HEAD finds the GET route of a unary method
  // (the caller leaves out the body).
  absl::StatusOr<RouteMatch> Lookup(std::string_view http_method, std::string_view path) const;

  // The methods some route accepts for `path`, sorted and unique (for an Allow header).
  std::vector<std::string> AllowedMethods(std::string_view path) const;

  // Every route in declaration order: services as listed, methods as declared, the rule before
  // its additional_bindings.
  const std::vector<Route>& routes() const { return routes_; }
  const RestLimits& limits() const { return limits_; }

 private:
  std::vector<Route> routes_;
  RestLimits limits_;
};

// The google.api.http rule of `method`, whichever pool it comes from: its options are re-read
// through the generated MethodOptions, where the extension is known (in a pool built from a
// descriptor set it would otherwise be an unknown field). nullopt when it has none.
std::optional<google::api::HttpRule> HttpRuleOf(const google::protobuf::MethodDescriptor& method);

}  // namespace switchboard::gateway::rest
