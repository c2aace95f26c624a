#include "gateway/codec/grpc_status.h"

#include <cstdint>

#include "gateway/codec/hex.h"
#include "gateway/codec/status_codes.h"

namespace switchboard::gateway {
namespace {

// Codes known today have one or two digits; a longer value is no code a client knows.
constexpr size_t kMaxKnownCodeDigits = 2;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool IsGrpcStatusValue(std::string_view value) {
  if (value.empty() || value.size() > kMaxStatusDigits) return false;
  for (char c : value) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

int ParseGrpcStatus(std::string_view header_value) {
  if (header_value.empty() || header_value.size() > kMaxKnownCodeDigits) return kGrpcUnknown;
  int code = 0;
  for (const char c : header_value) {
    if (!IsDigit(c)) return kGrpcUnknown;
    code = code * 10 + (c - '0');
  }
  return code <= kGrpcMaxCode ? code : kGrpcUnknown;
}

int GrpcStatusOf(const std::string* trailers_status, const std::string* headers_status) {
  const std::string* value = trailers_status != nullptr ? trailers_status : headers_status;
  return value == nullptr ? -1 : ParseGrpcStatus(*value);
}

std::string DecodeGrpcMessage(std::string_view header_value) {
  std::string out;
  out.reserve(header_value.size());
  for (size_t i = 0; i < header_value.size(); ++i) {
    if (header_value[i] == '%' && i + 2 < header_value.size()) {
      const int hi = HexValue(header_value[i + 1]);
      const int lo = HexValue(header_value[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(header_value[i]);
  }
  return out;
}

std::string EncodeGrpcMessage(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (const char c : message) {
    const auto u = static_cast<uint8_t>(c);
    if (u < 0x20 || u > 0x7e || c == '%') {
      out.push_back('%');
      out.push_back(kUpperHexDigits[u >> 4]);
      out.push_back(kUpperHexDigits[u & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string ToValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    size_t length = 0;
    uint32_t code_point = 0;
    uint32_t min_code_point = 0;
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      length = 2, code_point = c & 0x1f, min_code_point = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      length = 3, code_point = c & 0x0f, min_code_point = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      length = 4, code_point = c & 0x07, min_code_point = 0x10000;
    }
    bool valid = length != 0 && i + length <= n;
    for (size_t k = 1; valid && k < length; ++k) {
      if ((p[i + k] & 0xc0) != 0x80) {
        valid = false;
      } else {
        code_point = (code_point << 6) | (p[i + k] & 0x3f);
      }
    }
    valid = valid && code_point >= min_code_point && code_point <= 0x10ffff &&
            !(code_point >= 0xd800 && code_point <= 0xdfff);
    if (valid) {
      out.append(text.data() + i, length);
      i += length;
    } else {
      out.push_back('?');
      ++i;
    }
  }
  return out;
}

}  // namespace switchboard::gateway
