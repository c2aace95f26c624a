#include "request_stream.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "errors.h"
#include "gateway/codec/grpc_framing.h"

namespace switchboard::gateway::rest {
namespace {

using google::protobuf::FieldDescriptor;

// Room left in a raw message for the other fields of the first one (set from the query).
constexpr size_t kRawMessageOverheadBytes = 1024;
// The smallest chunk a raw body is cut into, whatever max_message_bytes says.
constexpr size_t kMinRawChunkBytes = 256;

std::string MediaType(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  absl::StripAsciiWhitespace(&type);
  absl::AsciiStrToLower(&type);
  return type;
}

std::string RouteName(const Route& route) {
  return absl::StrCat(route.http_method, " ", route.path_template.text());
}

void AppendVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

class NdjsonStream : public RequestStream {
 public:
  NdjsonStream(const Transcoder& transcoder, const Route& route, std::vector<PathBinding> bindings,
               std::string query, size_t max_message_bytes)
      : transcoder_(transcoder),
        route_(route),
        bindings_(std::move(bindings)),
        query_(std::move(query)),
        max_line_bytes_(max_message_bytes) {}

  absl::Status Feed(std::string_view data, std::string* frames) override {
    while (!data.empty()) {
      const size_t newline = data.find('\n');
      const std::string_view piece = data.substr(0, newline);
      if (pending_.size() + piece.size() > max_line_bytes_) {
        return WithHttpStatus(absl::ResourceExhaustedError(absl::StrCat(
                                  "line ", line_ + 1, " is longer than ", max_line_bytes_,
                                  " bytes (limits.max_message_bytes)")),
                              kHttpPayloadTooLarge);
      }
      if (newline == std::string_view::npos) {
        pending_.append(piece.data(), piece.size());
        return absl::OkStatus();
      }
      std::string_view line = piece;
      if (!pending_.empty()) {
        pending_.append(piece.data(), piece.size());
        line = pending_;
      }
      if (auto status = Line(line, frames); !status.ok()) return status;
      pending_.clear();
      data.remove_prefix(newline + 1);
    }
    return absl::OkStatus();
  }

  absl::Status Finish(std::string* frames) override {
    if (!pending_.empty()) {
      if (auto status = Line(pending_, frames); !status.ok()) return status;
      pending_.clear();
    }
    if (messages_ == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(RouteName(route_), ": the NDJSON request body holds no message"));
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Line(std::string_view line, std::string* frames) {
    ++line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) return absl::OkStatus();
    const bool first = messages_ == 0;
    auto message = transcoder_.TranscodeStreamMessage(
        route_, first ? bindings_ : std::vector<PathBinding>{}, first ? query_ : "", line);
    if (!message.ok()) {
      return absl::Status(message.status().code(),
                          absl::StrCat("line ", line_, ": ", message.status().message()));
    }
    AppendFrame(0, *message, frames);
    ++messages_;
    return absl::OkStatus();
  }

  const Transcoder& transcoder_;
  const Route& route_;
  std::vector<PathBinding> bindings_;
  std::string query_;
  size_t max_line_bytes_;
  std::string pending_;  // the start of a line whose newline has not arrived
  size_t line_ = 0;      // lines seen, for messages
};

class RawStream : public RequestStream {
 public:
  RawStream(const FieldDescriptor& field, std::string first_fields, size_t chunk_bytes)
      : first_fields_(std::move(first_fields)), chunk_bytes_(chunk_bytes) {
    AppendVarint((static_cast<uint64_t>(field.number()) << 3) | 2, &tag_);  // length-delimited
  }

  absl::Status Feed(std::string_view data, std::string* frames) override {
    while (!data.empty()) {
      const size_t take = std::min(chunk_bytes_ - pending_.size(), data.size());
      pending_.append(data.data(), take);
      data.remove_prefix(take);
      if (pending_.size() == chunk_bytes_) Emit(frames);
    }
    return absl::OkStatus();
  }

  absl::Status Finish(std::string* frames) override {
    if (!pending_.empty() || messages_ == 0) Emit(frames);
    return absl::OkStatus();
  }

 private:
  void Emit(std::string* frames) {
    // Fields may come in any order on the wire: the first message is the query's fields
    // followed by the bytes field.
    std::string message = messages_ == 0 ? std::move(first_fields_) : std::string();
    message += tag_;
    AppendVarint(pending_.size(), &message);
    message += pending_;
    AppendFrame(0, message, frames);
    pending_.clear();
    ++messages_;
  }

  std::string first_fields_;
  size_t chunk_bytes_;
  std::string tag_;
  std::string pending_;
};

}  // namespace

absl::StatusOr<const FieldDescriptor*> RawBodyField(const Route& route) {
  auto unsupported = [&](const std::string& why) {
    return WithHttpStatus(
        absl::InvalidArgumentError(absl::StrCat(
            RouteName(route), " can't take a raw (application/octet-stream) body: ", why,
            "; send application/json or application/x-ndjson")),
        kHttpUnsupportedMediaType);
  };
  auto is_bytes = [](const FieldDescriptor* field) {
    return field->type() == FieldDescriptor::TYPE_BYTES && !field->is_repeated();
  };
  if (route.body_field != nullptr) {
    if (is_bytes(route.body_field)) return route.body_field;
    return unsupported(absl::StrCat("its body field ", route.body_field->name(), " is not bytes"));
  }
  if (route.body != "*") return unsupported("it takes no request body");
  const auto* type = route.method->input_type();
  const FieldDescriptor* found = nullptr;
  for (int i = 0; i < type->field_count(); ++i) {
    if (!is_bytes(type->field(i))) continue;
    if (found != nullptr) {
      return unsupported(absl::StrCat(type->full_name(), " has more than one bytes field (",
                                      found->name(), ", ", type->field(i)->name(), ")"));
    }
    found = type->field(i);
  }
  if (found == nullptr) return unsupported(absl::StrCat(type->full_name(), " has no bytes field"));
  return found;
}

std::optional<StreamedBodyKind> StreamedBodyKindOf(const Route& route, std::string_view http_method,
                                                   const std::string* content_type) {
  if (!route.client_streaming) return std::nullopt;
  if (content_type == nullptr) {
    if (http_method == "PUT") return StreamedBodyKind::kRaw;  // what curl -T sends
    return std::nullopt;
  }
  const std::string type = MediaType(*content_type);
  if (type == "application/x-ndjson" || type == "application/ndjson" ||
      type == "application/jsonl" || type == "application/x-jsonlines") {
    return StreamedBodyKind::kNdjson;
  }
  if (type == "application/octet-stream") return StreamedBodyKind::kRaw;
  return std::nullopt;
}

absl::StatusOr<std::unique_ptr<RequestStream>> RequestStream::Create(
    const Transcoder& transcoder, const Route& route, std::vector<PathBinding> bindings,
    std::string_view query, StreamedBodyKind kind, size_t max_message_bytes) {
  if (kind == StreamedBodyKind::kNdjson) {
    return std::unique_ptr<RequestStream>(new NdjsonStream(transcoder, route, std::move(bindings),
                                                           std::string(query), max_message_bytes));
  }
  auto field = RawBodyField(route);
  if (!field.ok()) return field.status();
  // The first message's other fields, from the path and the query; the bytes field is the
  // body's, so the query may not name it.
  Route header_route = route;
  header_route.body = (*field)->name();
  header_route.body_field = *field;
  auto first_fields = transcoder.TranscodeStreamMessage(header_route, bindings, query, "");
  if (!first_fields.ok()) return first_fields.status();
  const size_t room = max_message_bytes > first_fields->size() + kRawMessageOverheadBytes
                          ? max_message_bytes - first_fields->size() - kRawMessageOverheadBytes
                          : 0;
  const size_t chunk_bytes = std::max(kMinRawChunkBytes, std::min(kRawChunkBytes, room));
  return std::unique_ptr<RequestStream>(
      new RawStream(**field, std::move(*first_fields), chunk_bytes));
}

}  // namespace switchboard::gateway::rest
