// The gRPC call headers a client or a backend writes as text: grpc-timeout (codec/grpc_timeout.h),
// grpc-status and grpc-message (codec/grpc_status.h). The input is one header value. Checked:
// a parsed timeout is never negative and survives a format-parse round trip without getting
// shorter; a status is a known code; grpc-message decodes whatever it encoded, and ToValidUtf8
// keeps the length and gives text it leaves unchanged.
#include <chrono>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "gateway/codec/grpc_status.h"
#include "gateway/codec/grpc_timeout.h"
#include "gateway/codec/status_codes.h"

namespace switchboard::gateway {
namespace {

// The longest timeout that survives formatting and parsing again: ParseGrpcTimeout caps
// H, M and S values at 100 years.
constexpr std::chrono::microseconds kMaxRoundTrip = std::chrono::hours(24 * 365 * 100);
constexpr size_t kMaxFormattedBytes = 9;

void CheckTimeout(std::string_view value) {
  const auto parsed = ParseGrpcTimeout(value);
  if (!parsed) return;
  SB_FUZZ_CHECK(parsed->count() >= 0);
  const std::string text = FormatGrpcTimeout(*parsed);
  SB_FUZZ_CHECK(text.size() <= kMaxFormattedBytes);
  const auto again = ParseGrpcTimeout(text);
  SB_FUZZ_CHECK(again.has_value());
  SB_FUZZ_CHECK(*again >= std::min(*parsed, kMaxRoundTrip));
}

void CheckStatus(std::string_view value) {
  const int code = ParseGrpcStatus(value);
  SB_FUZZ_CHECK(code >= 0 && code <= kGrpcMaxCode);
  // A value that parses to something other than UNKNOWN is a status value to pass on.
  if (code != kGrpcUnknown) SB_FUZZ_CHECK(IsGrpcStatusValue(value));
  const std::string as_string(value);
  SB_FUZZ_CHECK(GrpcStatusOf(&as_string, nullptr) == code);
}

void CheckMessage(std::string_view value) {
  const std::string decoded = DecodeGrpcMessage(value);
  SB_FUZZ_CHECK(decoded.size() <= value.size());
  const std::string encoded = EncodeGrpcMessage(value);
  for (const char c : encoded) SB_FUZZ_CHECK(c >= 0x20 && c <= 0x7e);
  SB_FUZZ_CHECK(DecodeGrpcMessage(encoded) == value);
  const std::string utf8 = ToValidUtf8(value);
  SB_FUZZ_CHECK(utf8.size() == value.size());
  SB_FUZZ_CHECK(ToValidUtf8(utf8) == utf8);
}

}  // namespace
}  // namespace switchboard::gateway

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::gateway;
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  CheckTimeout(value);
  CheckStatus(value);
  CheckMessage(value);
  return 0;
}
