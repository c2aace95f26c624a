// Where a service keeps its rows (the system config's `store`): the embedded SQLite file by
// default, or a PostgreSQL server that every replica shares. Header-only, so the system config
// (sb_common) validates URLs without linking a database client.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace switchboard::common::store {

inline constexpr int kDefaultPoolSize = 8;
inline constexpr int kMaxPoolSize = 256;
inline constexpr char kPostgresScheme[] = "postgres://";
inline constexpr char kPostgresqlScheme[] = "postgresql://";
inline constexpr char kUrlExample[] = "postgres://user@127.0.0.1:5432/switchboard";

struct StoreConfig {
  // Empty: SQLite in the service's data dir. Otherwise postgres://user[:password]@host:port/db.
  std::string url;
  // Connections each service process opens to PostgreSQL at most.
  int pool_size = kDefaultPoolSize;

  bool postgres() const { return !url.empty(); }
};

// postgres://user[:password]@host:port/database[?options], split.
struct PostgresUrl {
  std::string user;
  std::string host;
  int port = 0;
  std::string database;
};

inline absl::StatusOr<PostgresUrl> ParsePostgresUrl(const std::string& url) {
  std::string rest;
  if (url.rfind(kPostgresScheme, 0) == 0) {
    rest = url.substr(sizeof(kPostgresScheme) - 1);
  } else if (url.rfind(kPostgresqlScheme, 0) == 0) {
    rest = url.substr(sizeof(kPostgresqlScheme) - 1);
  } else {
    return absl::InvalidArgumentError("does not start with postgres://");
  }
  PostgresUrl parsed;
  const auto at = rest.rfind('@', rest.find('/'));
  if (at == std::string::npos) return absl::InvalidArgumentError("has no user@");
  parsed.user = rest.substr(0, std::min(rest.find(':'), at));
  rest = rest.substr(at + 1);
  const auto slash = rest.find('/');
  if (slash == std::string::npos) return absl::InvalidArgumentError("has no /database");
  parsed.database = rest.substr(slash + 1, rest.find('?', slash) - slash - 1);
  const std::string host_port = rest.substr(0, slash);
  const auto colon = host_port.rfind(':');
  parsed.host = host_port.substr(0, colon);
  constexpr int kMaxPort = 65535;
  if (colon == std::string::npos || !absl::SimpleAtoi(host_port.substr(colon + 1), &parsed.port) ||
      parsed.port < 1 || parsed.port > kMaxPort) {
    return absl::InvalidArgumentError("has no port 1..65535");
  }
  if (parsed.user.empty()) return absl::InvalidArgumentError("has no user");
  if (parsed.host.empty()) return absl::InvalidArgumentError("has no host");
  if (parsed.database.empty()) return absl::InvalidArgumentError("has no database");
  return parsed;
}

// The URL as it may appear in logs and error messages: postgres://user@host:port/db, never the
// password or options.
inline std::string RedactedUrl(const std::string& url) {
  auto parsed = ParsePostgresUrl(url);
  if (!parsed.ok()) return "<a postgres URL that does not parse>";
  return absl::StrCat(kPostgresScheme, parsed->user, "@", parsed->host, ":", parsed->port, "/",
                      parsed->database);
}

// Errors quote the URL without its password.
inline absl::Status ValidatePostgresUrl(const std::string& url) {
  auto parsed = ParsePostgresUrl(url);
  if (parsed.ok()) return absl::OkStatus();
  // Only the part before any '@' could hold a password: never echo an unparsed URL.
  return absl::InvalidArgumentError(absl::StrCat("the store URL ", parsed.status().message(),
                                                 " (expected e.g. ", kUrlExample, ")"));
}

}  // namespace switchboard::common::store
