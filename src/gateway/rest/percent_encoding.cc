#include "percent_encoding.h"

#include "gateway/codec/hex.h"

namespace switchboard::gateway::rest {

std::optional<std::string> PercentDecode(std::string_view in, PercentDecodeMode mode) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+' && mode == PercentDecodeMode::kForm) {
      out.push_back(' ');
      continue;
    }
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    const int hi = HexValue(in[i + 1]);
    const int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    const char decoded = static_cast<char>(hi * 16 + lo);
    if (decoded == '/' && mode == PercentDecodeMode::kKeepEncodedSlash) {
      out.append(in.data() + i, 3);
    } else {
      out.push_back(decoded);
    }
    i += 2;
  }
  return out;
}

bool HasValidPercentEscapes(std::string_view in) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') continue;
    if (i + 2 >= in.size() || HexValue(in[i + 1]) < 0 || HexValue(in[i + 2]) < 0) return false;
    i += 2;
  }
  return true;
}

}  // namespace switchboard::gateway::rest
