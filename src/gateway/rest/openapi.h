// An OpenAPI 3.0 document (JSON) for the REST routes of a route table: paths, methods, path and
// query parameters, request bodies and responses, with schemas in components/schemas that follow
// the proto3 JSON mapping (64-bit integers as strings, enums as names, bytes as base64,
// Timestamp as date-time strings).
#pragma once

#include <string>
#include <vector>

#include "route_table.h"

namespace switchboard::gateway::rest {

struct OpenApiOptions {
  std::string title = "Switchboard";
  std::string version = "v1";
  std::vector<std::string> server_urls;  // "servers" entries; none when empty
};

// Deterministic (paths and schemas sorted by name). Routes OpenAPI can't express are left out: a
// custom method other than HEAD, OPTIONS or TRACE, "*" as method, or a second route whose template
// renders to a path and method already present (e.g. "/a/{x=**}" after "/a/{x}"). A path
// variable renders as {field.path}, even one spanning several segments; an unnamed '*' or '**'
// becomes a parameter named _segment<N>.
std::string GenerateOpenApi(const RouteTable& table, const OpenApiOptions& options = {});

}  // namespace switchboard::gateway::rest
