#include "raw_body.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace switchboard::gateway::rest {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;

constexpr std::string_view kBytesUnit = "bytes=";

bool IsInt64Field(const FieldDescriptor* field) {
  return field != nullptr && !field->is_repeated() && field->type() == FieldDescriptor::TYPE_INT64;
}

}  // namespace

bool StreamsRawBody(const Route& route) {
  return route.server_streaming && route.response_body_field != nullptr &&
         !route.response_body_field->is_repeated() &&
         route.response_body_field->type() == FieldDescriptor::TYPE_BYTES;
}

bool AcceptsByteRange(const Route& route) {
  const auto* input = route.method->input_type();
  return IsInt64Field(input->FindFieldByName(kOffsetField)) &&
         IsInt64Field(input->FindFieldByName(kLimitField));
}

std::optional<ByteRange> ParseRangeHeader(std::string_view value) {
  if (value.substr(0, kBytesUnit.size()) != kBytesUnit) return std::nullopt;
  value.remove_prefix(kBytesUnit.size());
  const size_t dash = value.find('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;  // none, or a suffix
  ByteRange range;
  // SimpleAtoi takes a sign and spaces, which a byte position never has.
  auto digits = [](std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
  };
  const std::string_view first = value.substr(0, dash);
  const std::string_view last = value.substr(dash + 1);
  if (!digits(first) ||
      !absl::SimpleAtoi(absl::string_view(first.data(), first.size()), &range.first))
    return std::nullopt;
  if (!last.empty()) {
    int64_t end = 0;
    if (!digits(last) || !absl::SimpleAtoi(absl::string_view(last.data(), last.size()), &end) ||
        end < range.first)
      return std::nullopt;
    range.last = end;
  }
  return range;
}

std::string RangeQuery(const ByteRange& range) {
  std::string query = absl::StrCat(kOffsetField, "=", range.first);
  if (range.last) absl::StrAppend(&query, "&", kLimitField, "=", *range.last - range.first + 1);
  return query;
}

absl::StatusOr<RawChunk> ReadRawChunk(const Route& route, std::string_view binary) {
  const FieldDescriptor* total = route.method->output_type()->FindFieldByName(kTotalBytesField);
  if (!IsInt64Field(total)) total = nullptr;
  const int data_number = route.response_body_field->number();
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(binary.data()),
                                            static_cast<int>(binary.size()));
  RawChunk chunk;
  bool valid = true;
  for (;;) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) {  // the end, or a zero tag no message holds
      valid = in.ConsumedEntireMessage();
      break;
    }
    const int number = WireFormatLite::GetTagFieldNumber(tag);
    const auto wire_type = WireFormatLite::GetTagWireType(tag);
    bool read = true;
    if (number == data_number && wire_type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      read = WireFormatLite::ReadBytes(&in, &chunk.data);  // the last one wins, as in a parse
    } else if (total != nullptr && number == total->number() &&
               wire_type == WireFormatLite::WIRETYPE_VARINT) {
      uint64_t value = 0;
      read = in.ReadVarint64(&value);
      chunk.total_bytes = static_cast<int64_t>(value);
    } else {
      read = WireFormatLite::SkipField(&in, tag);
    }
    if (!read) {
      valid = false;
      break;
    }
  }
  if (!valid) {
    return absl::InternalError(absl::StrCat("backend sent a message that is not ",
                                            route.method->output_type()->full_name()));
  }
  return chunk;
}

}  // namespace switchboard::gateway::rest
