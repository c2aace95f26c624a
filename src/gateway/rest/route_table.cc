#include "route_table.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "errors.h"
#include "field_values.h"
#include "google/api/annotations.pb.h"
#include "google/protobuf/descriptor.pb.h"

namespace switchboard::gateway::rest {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;

// Request paths echoed in error messages are cut to this many bytes.
constexpr size_t kPathEchoBytes = 256;
constexpr char kAnyMethod[] = "*";
constexpr char kHead[] = "HEAD";

std::string Echo(std::string_view path) {
  if (path.size() <= kPathEchoBytes) return std::string(path);
  return absl::StrCat(std::string(path.substr(0, kPathEchoBytes)), "...");
}

std::string RuleName(const MethodDescriptor& method, size_t binding_index) {
  if (binding_index == 0) return absl::StrCat(method.full_name(), " (google.api.http)");
  return absl::StrCat(method.full_name(), " (google.api.http additional_bindings #", binding_index,
                      ")");
}

absl::Status ResolveVariables(const MethodDescriptor& method, size_t binding_index, Route* route) {
  for (const auto& variable : route->path_template.variables()) {
    std::vector<const FieldDescriptor*> fields;
    const Descriptor* message = method.input_type();
    for (size_t i = 0; i < variable.field_names.size(); ++i) {
      const std::string& name = variable.field_names[i];
      const FieldDescriptor* field = message ? message->FindFieldByName(name) : nullptr;
      auto fail = [&](const std::string& why) {
        return absl::InvalidArgumentError(
            absl::StrCat(RuleName(method, binding_index), ": path variable {", variable.field_path,
                         "} in \"", route->path_template.text(), "\": ", why));
      };
      if (field == nullptr) {
        return fail(absl::StrCat(message->full_name(), " has no field ", name));
      }
      const bool last = i + 1 == variable.field_names.size();
      if (field->is_repeated()) return fail(absl::StrCat("field ", name, " is repeated"));
      if (!last) {
        if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
          return fail(absl::StrCat("field ", name, " is not a message"));
        }
        message = field->message_type();
      } else if (!CanSetFromText(*field)) {
        return fail(absl::StrCat("field ", name, " is a message, not a scalar"));
      }
      fields.push_back(field);
    }
    route->variable_fields.push_back(std::move(fields));
  }
  return absl::OkStatus();
}

absl::StatusOr<Route> MakeRoute(const google::api::HttpRule& rule, const MethodDescriptor& method,
                                size_t binding_index) {
  const std::string where = RuleName(method, binding_index);
  Route route;
  std::string path;
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      route.http_method = "GET", path = rule.get();
      break;
    case google::api::HttpRule::kPut:
      route.http_method = "PUT", path = rule.put();
      break;
    case google::api::HttpRule::kPost:
      route.http_method = "POST", path = rule.post();
      break;
    case google::api::HttpRule::kDelete:
      route.http_method = "DELETE", path = rule.delete_();
      break;
    case google::api::HttpRule::kPatch:
      route.http_method = "PATCH", path = rule.patch();
      break;
    case google::api::HttpRule::kCustom:
      route.http_method = rule.custom().kind(), path = rule.custom().path();
      if (route.http_method.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(where, ": custom pattern without a kind"));
      }
      break;
    case google::api::HttpRule::PATTERN_NOT_SET:
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": no pattern (get, put, post, delete, patch or custom)"));
  }
  auto parsed = PathTemplate::Parse(path);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", parsed.status().message()));
  }
  route.path_template = *std::move(parsed);
  route.method = &method;
  route.grpc_path = absl::StrCat("/", method.service()->full_name(), "/", method.name());
  route.client_streaming = method.client_streaming();
  route.server_streaming = method.server_streaming();
  route.binding_index = binding_index;
  if (auto status = ResolveVariables(method, binding_index, &route); !status.ok()) return status;

  route.body = rule.body();
  if (!route.body.empty() && route.body != "*") {
    route.body_field = method.input_type()->FindFieldByName(route.body);
    if (route.body_field == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": body \"", route.body,
                                                     "\": ", method.input_type()->full_name(),
                                                     " has no such top-level field"));
    }
    for (const auto& variable : route.path_template.variables()) {
      if (variable.field_path == route.body) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": field ", route.body, " is bound by both the path and the body"));
      }
    }
  }
  route.response_body = rule.response_body();
  if (!route.response_body.empty()) {
    route.response_body_field = method.output_type()->FindFieldByName(route.response_body);
    if (route.response_body_field == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": response_body \"", route.response_body,
                       "\": ", method.output_type()->full_name(), " has no such top-level field"));
    }
  }
  return route;
}

// Whether `route` takes requests of `http_method`. HEAD is a GET without the body
// (RFC 9110 9.3.2) where that answer has a length: not on a stream.
bool Serves(const Route& route, std::string_view http_method) {
  if (route.http_method == http_method || route.http_method == kAnyMethod) return true;
  return http_method == kHead && route.http_method == "GET" && !route.server_streaming &&
         !route.client_streaming;
}

// True when `a` should serve a request for `http_method` rather than `b` (both match its path).
bool Preferred(const Route& a, const Route& b, std::string_view http_method) {
  const int precedence = PathTemplate::ComparePrecedence(a.path_template, b.path_template);
  if (precedence != 0) return precedence < 0;
  return a.http_method == http_method && b.http_method != http_method;
}

}  // namespace

std::optional<google::api::HttpRule> HttpRuleOf(const MethodDescriptor& method) {
  if (!method.options().ByteSizeLong()) return std::nullopt;
  google::protobuf::MethodOptions options;
  if (!options.ParseFromString(method.options().SerializeAsString())) return std::nullopt;
  if (!options.HasExtension(google::api::http)) return std::nullopt;
  return options.GetExtension(google::api::http);
}

absl::StatusOr<RouteTable> RouteTable::Build(const google::protobuf::DescriptorPool& pool,
                                             const std::vector<std::string>& services,
                                             const RestLimits& limits) {
  RouteTable table;
  table.limits_ = limits;
  for (const std::string& name : services) {
    const auto* service = pool.FindServiceByName(name);
    if (service == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("service ", name, ": no descriptor in the pool defines it"));
    }
    for (int m = 0; m < service->method_count(); ++m) {
      const MethodDescriptor& method = *service->method(m);
      const std::optional<google::api::HttpRule> rule = HttpRuleOf(method);
      if (!rule) continue;
      auto route = MakeRoute(*rule, method, 0);
      if (!route.ok()) return route.status();
      table.routes_.push_back(*std::move(route));
      for (int b = 0; b < rule->additional_bindings_size(); ++b) {
        const auto& binding = rule->additional_bindings(b);
        if (binding.additional_bindings_size() > 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              RuleName(method, b + 1), ": additional_bindings may not nest their own"));
        }
        auto extra = MakeRoute(binding, method, b + 1);
        if (!extra.ok()) return extra.status();
        table.routes_.push_back(*std::move(extra));
      }
    }
  }
  // Two routes with the same method and shape would make the choice between them arbitrary.
  std::map<std::string, const Route*> by_shape;
  for (const Route& route : table.routes_) {
    const std::string key = absl::StrCat(route.http_method, " ", route.path_template.Shape());
    auto [it, inserted] = by_shape.emplace(key, &route);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(
          "two routes for ", key, ": ", RuleName(*it->second->method, it->second->binding_index),
          " \"", it->second->path_template.text(), "\" and ",
          RuleName(*route.method, route.binding_index), " \"", route.path_template.text(), "\""));
    }
  }
  return table;
}

absl::StatusOr<RouteMatch> RouteTable::Lookup(std::string_view http_method,
                                              std::string_view path) const {
  auto request = RequestPath::Parse(path, limits_.max_path_bytes, limits_.max_path_segments);
  if (!request.ok()) return request.status();
  RouteMatch best;
  std::vector<PathBinding> bindings;
  bool path_matched = false;
  for (const Route& route : routes_) {
    if (!route.path_template.Match(*request, &bindings)) continue;
    path_matched = true;
    if (!Serves(route, http_method)) continue;
    if (best.route == nullptr || Preferred(route, *best.route, http_method)) {
      best.route = &route;
      best.bindings.swap(bindings);
    }
  }
  if (best.route != nullptr) return best;
  if (!path_matched) {
    return absl::NotFoundError(
        absl::StrCat("no route for ", std::string(http_method), " ", Echo(path)));
  }
  return WithHttpStatus(absl::UnimplementedError(absl::StrCat(
                            "method ", std::string(http_method), " is not allowed for ", Echo(path),
                            "; allowed: ", absl::StrJoin(AllowedMethods(path), ", "))),
                        kHttpMethodNotAllowed);
}

std::vector<std::string> RouteTable::AllowedMethods(std::string_view path) const {
  auto request = RequestPath::Parse(path, limits_.max_path_bytes, limits_.max_path_segments);
  if (!request.ok()) return {};
  std::set<std::string> methods;
  std::vector<PathBinding> bindings;
  for (const Route& route : routes_) {
    if (!route.path_template.Match(*request, &bindings)) continue;
    methods.insert(route.http_method);
    if (Serves(route, kHead)) methods.insert(kHead);
  }
  return std::vector<std::string>(methods.begin(), methods.end());
}

}  // namespace switchboard::gateway::rest
