#include "gateway/auth/auth_config.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/duration.h"
#include "gateway/auth/config_fields.h"
#include "gateway/codec/headers.h"

namespace switchboard::gateway::auth {
namespace {

using config_fields::CheckKeys;
using config_fields::KeyError;
using config_fields::ReadString;

absl::Status ReadMode(const YAML::Node& node, const std::string& key, AuthMode* out) {
  const std::string value = node.IsScalar() ? node.Scalar() : "";
  if (value == "none") {
    *out = AuthMode::kNone;
  } else if (value == "optional") {
    *out = AuthMode::kOptional;
  } else if (value == "required") {
    *out = AuthMode::kRequired;
  } else {
    return KeyError(key, absl::StrCat("\"", value, "\" is not required, optional or none"));
  }
  return absl::OkStatus();
}

absl::Status ReadHeaderName(const YAML::Node& node, const std::string& key, std::string* out) {
  if (auto s = ReadString(node, key, out); !s.ok()) return s;
  *out = absl::AsciiStrToLower(*out);
  if (!IsValidMetadataName(*out)) {
    return KeyError(key, absl::StrCat("\"", *out, "\" is not a header name"));
  }
  return absl::OkStatus();
}

absl::StatusOr<KeySet> LoadJwks(const std::string& path, const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return KeyError(key, absl::StrCat("cannot read ", path));
  std::string text;
  text.resize(kMaxJwksBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  auto keys = ParseJwks(text);
  if (!keys.ok()) return KeyError(key, absl::StrCat(path, ": ", keys.status().message()));
  return keys;
}

// jwks_uri (https only), jwks_ca_file, jwks_refresh and jwks_min_refetch: the refresher is made
// (its CA file read) but fetches nothing until it is started.
absl::Status ReadJwksUri(const YAML::Node& node, const std::string& where, JwtProvider* out) {
  if (auto s = ReadString(node["jwks_uri"], where + ".jwks_uri", &out->jwks_uri); !s.ok()) {
    return s;
  }
  auto url = ParseHttpsUrl(out->jwks_uri);
  if (!url.ok()) return KeyError(where + ".jwks_uri", std::string(url.status().message()));
  JwksFetchOptions options;
  options.url = std::move(*url);
  if (node["jwks_ca_file"]) {
    if (auto s = ReadString(node["jwks_ca_file"], where + ".jwks_ca_file", &options.ca_file);
        !s.ok()) {
      return s;
    }
  }
  if (node["jwks_refresh"]) {
    if (auto s = config_fields::ReadDuration(node["jwks_refresh"], where + ".jwks_refresh",
                                             &options.refresh);
        !s.ok()) {
      return s;
    }
    if (options.refresh < JwksFetchOptions::kMinRefresh) {
      return KeyError(where + ".jwks_refresh",
                      absl::StrCat(common::FormatDuration(options.refresh), " is below ",
                                   common::FormatDuration(JwksFetchOptions::kMinRefresh)));
    }
  }
  if (node["jwks_min_refetch"]) {
    if (auto s = config_fields::ReadDuration(node["jwks_min_refetch"], where + ".jwks_min_refetch",
                                             &options.min_refetch);
        !s.ok()) {
      return s;
    }
    if (options.min_refetch < JwksFetchOptions::kMinMinRefetch) {
      return KeyError(where + ".jwks_min_refetch",
                      absl::StrCat(common::FormatDuration(options.min_refetch), " is below ",
                                   common::FormatDuration(JwksFetchOptions::kMinMinRefetch)));
    }
  }
  auto refresher = JwksRefresher::Create(out->name, std::move(options));
  if (!refresher.ok()) {
    return KeyError(where + ".jwks_ca_file", std::string(refresher.status().message()));
  }
  out->refresher = std::move(*refresher);
  return absl::OkStatus();
}

absl::Status ReadProvider(const YAML::Node& node, const std::string& where, JwtProvider* out) {
  if (auto s = CheckKeys(
          node, where,
          {"name", "issuer", "audiences", "jwks_file", "jwks_uri", "jwks_ca_file", "jwks_refresh",
           "jwks_min_refetch", "forward_claims", "from_header", "from_query", "clock_skew"});
      !s.ok()) {
    return s;
  }
  if (!node["name"]) return KeyError(where + ".name", "missing");
  if (auto s = ReadString(node["name"], where + ".name", &out->name); !s.ok()) return s;
  if (!node["issuer"]) return KeyError(where + ".issuer", "missing");
  if (auto s = ReadString(node["issuer"], where + ".issuer", &out->rules.issuer); !s.ok()) return s;
  if (node["audiences"]) {
    const YAML::Node& list = node["audiences"];
    if (!list.IsSequence()) return KeyError(where + ".audiences", "expected a list");
    for (const auto& item : list) {
      std::string audience;
      if (auto s = ReadString(item, where + ".audiences", &audience); !s.ok()) return s;
      out->rules.audiences.push_back(audience);
    }
  }
  if (node["jwks_file"] && node["jwks_uri"]) {
    return KeyError(where, "jwks_file and jwks_uri: one key source only");
  }
  if (node["jwks_uri"]) {
    if (auto s = ReadJwksUri(node, where, out); !s.ok()) return s;
  } else {
    for (const char* key : {"jwks_ca_file", "jwks_refresh", "jwks_min_refetch"}) {
      if (node[key]) return KeyError(absl::StrCat(where, ".", key), "only with jwks_uri");
    }
    if (!node["jwks_file"]) return KeyError(where + ".jwks_file", "missing (or jwks_uri)");
    if (auto s = ReadString(node["jwks_file"], where + ".jwks_file", &out->jwks_file); !s.ok()) {
      return s;
    }
    auto keys = LoadJwks(out->jwks_file, where + ".jwks_file");
    if (!keys.ok()) return keys.status();
    out->keys = std::make_shared<const KeySet>(std::move(*keys));
  }
  if (node["forward_claims"]) {
    const std::string key = where + ".forward_claims";
    if (!node["forward_claims"].IsMap()) return KeyError(key, "expected {claim: header}");
    std::set<std::string> headers;
    for (const auto& entry : node["forward_claims"]) {
      const std::string claim = entry.first.as<std::string>();
      std::string header;
      if (auto s = ReadHeaderName(entry.second, absl::StrCat(key, ".", claim), &header); !s.ok()) {
        return s;
      }
      if (header[0] == ':' || header.rfind("grpc-", 0) == 0 || IsHopByHopHeader(header)) {
        return KeyError(absl::StrCat(key, ".", claim),
                        absl::StrCat("\"", header, "\" is reserved by HTTP or gRPC"));
      }
      if (!headers.insert(header).second) {
        return KeyError(absl::StrCat(key, ".", claim), absl::StrCat("\"", header, "\" twice"));
      }
      out->forward_claims.emplace_back(claim, header);
    }
  }
  if (node["from_header"] && node["from_query"]) {
    return KeyError(where, "from_header and from_query: one token source only");
  }
  if (node["from_header"]) {
    out->source.kind = TokenSource::Kind::kHeader;
    if (auto s = ReadHeaderName(node["from_header"], where + ".from_header", &out->source.name);
        !s.ok()) {
      return s;
    }
    // What REST and WebSocket clients' requests pass on as metadata (rest::RestRequestMetadata).
    if (out->source.name != "authorization" && out->source.name.rfind("x-", 0) != 0) {
      return KeyError(where + ".from_header",
                      absl::StrCat("\"", out->source.name,
                                   "\": a token header is authorization or an x- header"));
    }
  }
  if (node["from_query"]) {
    out->source.kind = TokenSource::Kind::kQuery;
    if (auto s = ReadString(node["from_query"], where + ".from_query", &out->source.name);
        !s.ok()) {
      return s;
    }
  }
  out->rules.clock_skew = AuthConfig::kDefaultClockSkew;
  if (node["clock_skew"]) {
    std::chrono::milliseconds skew{0};
    if (auto s = config_fields::ReadDuration(node["clock_skew"], where + ".clock_skew", &skew);
        !s.ok()) {
      return s;
    }
    if (skew < std::chrono::milliseconds(0) || skew > AuthConfig::kMaxClockSkew) {
      return KeyError(where + ".clock_skew",
                      absl::StrCat("must be within 0s..", AuthConfig::kMaxClockSkew.count(), "s"));
    }
    out->rules.clock_skew = std::chrono::duration_cast<std::chrono::seconds>(skew);
  }
  return absl::OkStatus();
}

}  // namespace

const char* AuthModeName(AuthMode mode) {
  switch (mode) {
    case AuthMode::kNone:
      return "none";
    case AuthMode::kOptional:
      return "optional";
    case AuthMode::kRequired:
      return "required";
  }
  return "?";
}

absl::Status ReadAuthConfig(const YAML::Node& node, AuthConfig* out) {
  if (!node) return absl::OkStatus();
  if (auto s = CheckKeys(node, "auth", {"jwt", "cache_entries"}); !s.ok()) return s;
  if (node["cache_entries"]) {
    int64_t entries = 0;
    if (auto s = config_fields::ReadInt(node["cache_entries"], "auth.cache_entries", 0,
                                        AuthConfig::kMaxCacheEntries, &entries);
        !s.ok()) {
      return s;
    }
    out->cache_entries = static_cast<size_t>(entries);
  }
  if (!node["jwt"]) return absl::OkStatus();
  const YAML::Node& list = node["jwt"];
  if (!list.IsSequence()) return KeyError("auth.jwt", "expected a list of providers");
  if (list.size() > AuthConfig::kMaxProviders) {
    return KeyError("auth.jwt",
                    absl::StrCat(list.size(), " providers, more than ", AuthConfig::kMaxProviders));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = absl::StrCat("auth.jwt[", i, "]");
    JwtProvider provider;
    if (auto s = ReadProvider(list[i], where, &provider); !s.ok()) return s;
    if (!names.insert(provider.name).second) {
      return KeyError(where + ".name", absl::StrCat("\"", provider.name, "\" twice"));
    }
    out->providers.push_back(std::move(provider));
  }
  return absl::OkStatus();
}

absl::Status ReadRouteAuth(const YAML::Node& service, const std::string& where, RouteAuth* out) {
  if (service["auth"]) {
    if (auto s = ReadMode(service["auth"], where + ".auth", &out->mode); !s.ok()) return s;
  }
  if (!service["methods"]) return absl::OkStatus();
  const YAML::Node& methods = service["methods"];
  const std::string key = where + ".methods";
  if (!methods.IsMap()) return KeyError(key, "expected {MethodName: {auth: ..., rate_limit: ...}}");
  for (const auto& entry : methods) {
    const std::string name = entry.first.as<std::string>();
    const std::string method_key = absl::StrCat(key, ".", name);
    if (auto s = CheckKeys(entry.second, method_key, {kMethodKeys[0], kMethodKeys[1]}); !s.ok()) {
      return s;
    }
    if (!entry.second["auth"]) continue;
    AuthMode mode = AuthMode::kNone;
    if (auto s = ReadMode(entry.second["auth"], method_key + ".auth", &mode); !s.ok()) return s;
    out->methods[name] = mode;
  }
  return absl::OkStatus();
}

std::string AuthDefaultsYaml() {
  return absl::StrCat(
      "auth:\n"
      "  cache_entries: ",
      AuthConfig::kDefaultCacheEntries,
      "            # verified tokens kept until they expire (least recently used out first)\n"
      "  jwt: []                         # providers: {name, issuer, audiences: [], jwks_file |\n"
      "                                  #   jwks_uri: https://... (jwks_ca_file: PEM, default\n"
      "                                  #   the system's roots; jwks_refresh: ",
      common::FormatDuration(JwksFetchOptions::kDefaultRefresh),
      "; jwks_min_refetch: ", common::FormatDuration(JwksFetchOptions::kDefaultMinRefetch),
      "),\n"
      "                                  #   forward_claims: {claim: header}, from_header: NAME |\n"
      "                                  #   from_query: PARAM (default Authorization: Bearer),\n"
      "                                  #   clock_skew: ",
      common::FormatDuration(AuthConfig::kDefaultClockSkew), "}\n");
}

}  // namespace switchboard::gateway::auth
