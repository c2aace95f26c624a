#include "common/ids.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace switchboard::common {
namespace {

constexpr size_t kMaxIdLength = 64;

}  // namespace

std::string NewId(std::string_view prefix) {
  // Per thread, so concurrent RPC handlers never contend on one generator.
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return absl::StrCat(std::string(prefix), "_", absl::StrFormat("%016x", generator()));
}

bool IsSafeId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace switchboard::common
