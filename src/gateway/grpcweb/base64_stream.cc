#include "base64_stream.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace switchboard::gateway::grpcweb {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr size_t kGroupChars = 4;
constexpr uint8_t kInvalid = 0xff;
constexpr uint8_t kPad = 0xfe;

constexpr std::array<uint8_t, 256> MakeDecodeTable() {
  std::array<uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (uint8_t i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = i;
  table['='] = kPad;
  return table;
}
constexpr std::array<uint8_t, 256> kDecode = MakeDecodeTable();

std::string DescribeByte(unsigned char c) {
  if (c >= 0x20 && c < 0x7f) return absl::StrFormat("byte 0x%02x ('%c')", c, c);
  return absl::StrFormat("byte 0x%02x", c);
}

}  // namespace

absl::Status Base64StreamDecoder::Decode(std::string_view chunk, std::string* out) {
  if (!status_.ok()) return status_;
  for (const char ch : chunk) {
    const auto c = static_cast<unsigned char>(ch);
    const uint8_t value = kDecode[c];
    if (value == kInvalid) {
      status_ = absl::InvalidArgumentError(
          absl::StrCat("grpc-web-text body: ", DescribeByte(c), " at offset ", offset_,
                       " is not in the base64 alphabet (A-Z a-z 0-9 + /, '=' padding)"));
      return status_;
    }
    if (value == kPad) {
      // Padding fills positions 2-3 ("xx==") or 3 ("xxx="), nothing earlier.
      if (group_size_ < 2) {
        status_ = absl::InvalidArgumentError(absl::StrCat(
            "grpc-web-text body: '=' at offset ", offset_, " is character ", group_size_ + 1,
            " of a 4-character group; padding may only end a group (xx== or xxx=)"));
        return status_;
      }
      ++padding_;
    } else if (padding_ > 0) {
      status_ = absl::InvalidArgumentError(absl::StrCat(
          "grpc-web-text body: ", DescribeByte(c), " at offset ", offset_,
          " follows '=' inside a 4-character group; padding may only end a group (xx== or xxx=)"));
      return status_;
    }
    group_[group_size_++] = value;
    ++offset_;
    if (group_size_ < kGroupChars) continue;
    out->push_back(static_cast<char>((group_[0] << 2) | (group_[1] >> 4)));
    if (padding_ < 2)
      out->push_back(static_cast<char>(((group_[1] & 0x0f) << 4) | (group_[2] >> 2)));
    if (padding_ < 1) out->push_back(static_cast<char>(((group_[2] & 0x03) << 6) | group_[3]));
    group_size_ = 0;
    padding_ = 0;
  }
  return absl::OkStatus();
}

absl::Status Base64StreamDecoder::Finish() const {
  if (!status_.ok()) return status_;
  if (group_size_ != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "grpc-web-text body ends after ", offset_, " characters, ", group_size_,
        " into a 4-character base64 group: each flush must be padded to whole groups"));
  }
  return absl::OkStatus();
}

size_t Base64EncodedSize(size_t bytes) { return (bytes + 2) / 3 * kGroupChars; }

void AppendBase64(std::string_view bytes, std::string* out) {
  out->reserve(out->size() + Base64EncodedSize(bytes.size()));
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    out->push_back(kAlphabet[(v >> 18) & 0x3f]);
    out->push_back(kAlphabet[(v >> 12) & 0x3f]);
    out->push_back(kAlphabet[(v >> 6) & 0x3f]);
    out->push_back(kAlphabet[v & 0x3f]);
  }
  const size_t left = bytes.size() - i;
  if (left == 0) return;
  const uint32_t v = (uint32_t{p[i]} << 16) | (left == 2 ? uint32_t{p[i + 1]} << 8 : 0);
  out->push_back(kAlphabet[(v >> 18) & 0x3f]);
  out->push_back(kAlphabet[(v >> 12) & 0x3f]);
  out->push_back(left == 2 ? kAlphabet[(v >> 6) & 0x3f] : '=');
  out->push_back('=');
}

}  // namespace switchboard::gateway::grpcweb
