// Hex digits for the escapes the wire formats use: %XX in grpc-message and URLs, \xNN in quoted
// error values, \u00XX in JSON.
#pragma once

namespace switchboard::gateway {

inline constexpr char kUpperHexDigits[] = "0123456789ABCDEF";
inline constexpr char kLowerHexDigits[] = "0123456789abcdef";

// The value of one hex digit of either case, or -1.
inline int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace switchboard::gateway
