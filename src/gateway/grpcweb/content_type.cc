#include "content_type.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "gateway/codec/headers.h"

namespace switchboard::gateway::grpcweb {
namespace {

constexpr std::string_view kGrpcWebPrefix = "application/grpc-web";
constexpr std::string_view kTextInfix = "-text";
constexpr std::string_view kBase64Suffix = "-base64";
constexpr std::string_view kProtoCodec = "proto";

// The media type without parameters, lowercased and trimmed: "application/grpc-web+proto".
std::string MediaType(std::string_view value) {
  const size_t semicolon = value.find(';');
  return ToLower(TrimOws(value.substr(0, semicolon)));
}

// MediaType for classifying: every request asks, so short values (all real ones) are lowered
// into `scratch` rather than a new string.
constexpr size_t kShortMediaType = 64;
std::string_view MediaTypeView(std::string_view value, std::array<char, kShortMediaType>& scratch,
                               std::string& long_value) {
  const std::string_view trimmed = TrimOws(value.substr(0, value.find(';')));
  if (trimmed.size() > scratch.size()) {
    long_value = ToLower(trimmed);
    return long_value;
  }
  for (size_t i = 0; i < trimmed.size(); ++i) {
    const char c = trimmed[i];
    scratch[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return std::string_view(scratch.data(), trimmed.size());
}

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

// "+codec" after the format: kGrpcWeb-like for proto or nothing, other codec for a token.
ContentTypeKind ClassifyCodec(std::string_view rest, ContentTypeKind proto_kind) {
  if (rest.empty()) return proto_kind;
  if (rest.front() != '+' || rest.size() == 1) return ContentTypeKind::kNotGrpcWeb;
  const std::string_view codec = rest.substr(1);
  for (char c : codec) {
    if (!IsTokenChar(c)) return ContentTypeKind::kNotGrpcWeb;
  }
  return codec == kProtoCodec ? proto_kind : ContentTypeKind::kGrpcWebOtherCodec;
}

ContentTypeKind ClassifyMediaType(std::string_view media_type) {
  if (media_type.substr(0, kGrpcWebPrefix.size()) != kGrpcWebPrefix) {
    return ContentTypeKind::kNotGrpcWeb;
  }
  std::string_view rest = media_type.substr(kGrpcWebPrefix.size());
  if (rest.substr(0, kTextInfix.size()) != kTextInfix) {
    return ClassifyCodec(rest, ContentTypeKind::kGrpcWeb);
  }
  rest.remove_prefix(kTextInfix.size());
  if (rest.substr(0, kBase64Suffix.size()) == kBase64Suffix)
    rest.remove_prefix(kBase64Suffix.size());
  return ClassifyCodec(rest, ContentTypeKind::kGrpcWebText);
}

}  // namespace

ContentTypeKind ClassifyContentType(std::string_view content_type) {
  std::array<char, kShortMediaType> scratch;
  std::string long_value;
  return ClassifyMediaType(MediaTypeView(content_type, scratch, long_value));
}

bool IsGrpcWebContentType(std::string_view content_type) {
  return ClassifyContentType(content_type) != ContentTypeKind::kNotGrpcWeb;
}

absl::StatusOr<WireFormat> RequestWireFormat(std::string_view content_type) {
  switch (ClassifyContentType(content_type)) {
    case ContentTypeKind::kGrpcWeb:
      return WireFormat::kBinary;
    case ContentTypeKind::kGrpcWebText:
      return WireFormat::kText;
    case ContentTypeKind::kGrpcWebOtherCodec:
      return absl::UnimplementedError(
          absl::StrCat("content-type ", Quote(content_type),
                       ": only the proto codec of gRPC-Web is translated (application/grpc-web, "
                       "application/grpc-web+proto, application/grpc-web-text, "
                       "application/grpc-web-text+proto)"));
    case ContentTypeKind::kNotGrpcWeb:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "content-type ", Quote(content_type),
      " is not gRPC-Web: want application/grpc-web[+proto] or application/grpc-web-text[+proto]"));
}

bool IsNativeGrpcContentType(std::string_view content_type) {
  const std::string media_type = MediaType(content_type);
  const std::string_view view = media_type;
  if (view.substr(0, kGrpcContentType.size()) != kGrpcContentType) return false;
  const std::string_view rest = view.substr(kGrpcContentType.size());
  return rest.empty() || (rest.front() == '+' && rest.size() > 1);
}

WireFormat ResponseWireFormat(const std::string* accept, WireFormat request_format) {
  if (accept == nullptr) return request_format;
  bool names_binary = false;
  std::string_view rest = *accept;
  while (true) {
    const size_t comma = rest.find(',');
    switch (ClassifyMediaType(MediaType(rest.substr(0, comma)))) {
      case ContentTypeKind::kGrpcWebText:
        return WireFormat::kText;
      case ContentTypeKind::kGrpcWeb:
        names_binary = true;
        break;
      default:
        break;
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return names_binary ? WireFormat::kBinary : request_format;
}

std::string_view ResponseContentType(WireFormat format) {
  return format == WireFormat::kText ? kGrpcWebTextProtoContentType : kGrpcWebProtoContentType;
}

}  // namespace switchboard::gateway::grpcweb
