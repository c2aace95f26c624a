#include "services/stock/symbol.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace switchboard::stock {
namespace {

// Longest part of a bad symbol quoted back to the client, so an error message stays small.
constexpr size_t kMaxQuotedBytes = 32;

bool IsSymbolChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'; }

}  // namespace

bool IsValidSymbol(std::string_view symbol) {
  if (symbol.empty() || symbol.size() > kMaxSymbolLength) return false;
  for (char c : symbol) {
    if (!IsSymbolChar(c)) return false;
  }
  return true;
}

absl::Status ValidateSymbol(std::string_view symbol) {
  if (IsValidSymbol(symbol)) return absl::OkStatus();
  std::string quoted(symbol.substr(0, kMaxQuotedBytes));
  if (symbol.size() > kMaxQuotedBytes) absl::StrAppend(&quoted, "...");
  return absl::InvalidArgumentError(absl::StrCat("symbol: \"", absl::CHexEscape(quoted),
                                                 "\" must match ", std::string(kSymbolPattern)));
}

}  // namespace switchboard::stock
