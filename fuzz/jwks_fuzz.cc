// A JWKS document as an operator's jwks_file holds it (auth/jwks.h): parsed into keys, or
// refused with a message naming what is wrong. Checked: nothing crashes or leaks on any input,
// and a document parsed once parses to the same number of keys again.
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "gateway/auth/jwks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace switchboard::gateway::auth;
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  auto first = ParseJwks(json);
  auto again = ParseJwks(json);
  SB_FUZZ_CHECK(first.ok() == again.ok());
  if (!first.ok()) {
    SB_FUZZ_CHECK(!first.status().message().empty());
  } else {
    SB_FUZZ_CHECK(first->keys.size() == again->keys.size());
    SB_FUZZ_CHECK(first->keys.size() <= kMaxJwksKeys);
  }
  return 0;
}
