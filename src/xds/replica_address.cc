#include "xds/replica_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace switchboard::xds {
namespace {

constexpr uint32_t kMaxPort = 65535;

}  // namespace

absl::StatusOr<ReplicaAddress> ParseReplicaAddress(absl::string_view text) {
  const auto bad = [text](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("address \"", text, "\": ", why));
  };
  const size_t colon = text.rfind(':');
  if (text.empty()) return bad("empty; expected IP:PORT");
  if (colon == absl::string_view::npos) return bad("no port; expected IP:PORT");
  absl::string_view host = text.substr(0, colon);
  const absl::string_view port_text = text.substr(colon + 1);
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  ReplicaAddress address;
  address.ip = std::string(host);
  in_addr v4;
  in6_addr v6;
  const bool is_v4 = !bracketed && inet_pton(AF_INET, address.ip.c_str(), &v4) == 1;
  const bool is_v6 = bracketed && inet_pton(AF_INET6, address.ip.c_str(), &v6) == 1;
  if (!is_v4 && !is_v6) {
    return bad(
        "host must be an IPv4 literal or a bracketed IPv6 literal (xDS clients do not "
        "resolve names)");
  }
  if (!absl::SimpleAtoi(port_text, &address.port) || address.port == 0 || address.port > kMaxPort) {
    return bad(absl::StrCat("port \"", port_text, "\" is not in 1..", kMaxPort));
  }
  return address;
}

}  // namespace switchboard::xds
