// Realistic field values by field name: ids as common::NewId makes them ("bkg_" + 16 hex digits),
// money in minor units, Unix times of today, symbols, currencies and short human texts.
#include "message_sample.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace switchboard::bench {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// A Unix time in 2026 (seconds), and the same in milliseconds, for `timestamp`-like fields.
constexpr int64_t kSampleUnixSeconds = 1796640000;
constexpr int64_t kMillisPerSecond = 1000;
constexpr int32_t kSampleNanos = 250000000;
constexpr int64_t kSampleAmountMinorUnits = 4999;  // 49.99 EUR
constexpr int64_t kSampleCount = 2;                // seats, attempts
constexpr int64_t kSampleCapacity = 5000;
constexpr int64_t kSampleTotalBytes = 200LL * 1024 * 1024;
constexpr int64_t kSampleSequence = 1042;
constexpr double kSamplePrice = 187.23;

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// String values by field name; the first rule whose key the name contains wins.
std::string SampleString(const std::string& name) {
  static const std::vector<std::pair<std::string, std::string>> kByName = {
      {"currency", "EUR"},
      {"symbol", "AAPL"},
      {"email", "alice.martin@example.com"},
      {"sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
      {"idempotency_key", "7c9e6679-7425-40de-944b-e07fc1f90ae7"},
      {"token", "ZXZ0XzAwMDAwMDAwMDAwMDAwMTA"},
      {"address", "127.0.0.1:50051"},
      {"service", "switchboard.ticket.v1.TicketService"},
      {"file_name", "holiday-photos.tar"},
      {"display_name", "Alice Martin"},
      {"venue", "Olympiahalle, Munich"},
      {"room", "general"},
      {"title", "Booking confirmed"},
      {"reason", "card declined by issuer"},
      {"text", "Anyone going to the show on Friday?"},
      {"body", "Your booking for Rock in the Park is confirmed: 2 seats."},
      {"message", "Your booking for Rock in the Park is confirmed: 2 seats."},
      {"name", "Rock in the Park 2026"},
      {"status", "SERVING"},
  };
  if (name == "id" || EndsWith(name, "_id")) {
    const std::string prefix = name == "id" ? "evt" : name.substr(0, 3);
    return prefix + "_4f3c2a9be17d0c58";
  }
  for (const auto& [key, value] : kByName) {
    if (Contains(name, key)) return value;
  }
  return "example";
}

int64_t SampleInteger(const std::string& name) {
  if (Contains(name, "timestamp") || EndsWith(name, "_ms")) {
    return kSampleUnixSeconds * kMillisPerSecond;
  }
  if (name == "seconds") return kSampleUnixSeconds;
  if (name == "nanos") return kSampleNanos;
  if (Contains(name, "price") || Contains(name, "amount")) return kSampleAmountMinorUnits;
  if (Contains(name, "capacity") || Contains(name, "available")) return kSampleCapacity;
  if (Contains(name, "bytes")) return kSampleTotalBytes;
  if (Contains(name, "sequence") || Contains(name, "served")) return kSampleSequence;
  return kSampleCount;
}

void FillField(Message* message, const FieldDescriptor* field, int depth);

void FillMessage(Message* message, int depth) {
  if (depth > kSampleMaxDepth) return;
  const Descriptor* type = message->GetDescriptor();
  for (int i = 0; i < type->field_count(); ++i) {
    const FieldDescriptor* field = type->field(i);
    // One member per oneof: the first, as a sender sets exactly one.
    const auto* oneof = field->real_containing_oneof();
    if (oneof != nullptr && oneof->field(0) != field) continue;
    FillField(message, field, depth);
  }
}

void FillField(Message* message, const FieldDescriptor* field, int depth) {
  const Reflection* reflection = message->GetReflection();
  const std::string& name = field->name();
  const int count = field->is_repeated() ? kSampleRepeatedCount : 1;
  for (int i = 0; i < count; ++i) {
    const bool repeated = field->is_repeated();
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string value = SampleString(name);
        if (field->type() == FieldDescriptor::TYPE_BYTES) {
          value.assign(name == "data" ? kSampleChunkBytes : kSampleSmallBytes, '\x5a');
        } else if (repeated) {
          value += std::to_string(i);
        }
        repeated ? reflection->AddString(message, field, value)
                 : reflection->SetString(message, field, value);
        break;
      }
      case FieldDescriptor::CPPTYPE_INT32:
        repeated ? reflection->AddInt32(message, field, SampleInteger(name))
                 : reflection->SetInt32(message, field, SampleInteger(name));
        break;
      case FieldDescriptor::CPPTYPE_INT64:
        repeated ? reflection->AddInt64(message, field, SampleInteger(name))
                 : reflection->SetInt64(message, field, SampleInteger(name));
        break;
      case FieldDescriptor::CPPTYPE_UINT32:
        repeated ? reflection->AddUInt32(message, field, SampleInteger(name))
                 : reflection->SetUInt32(message, field, SampleInteger(name));
        break;
      case FieldDescriptor::CPPTYPE_UINT64:
        repeated ? reflection->AddUInt64(message, field, SampleInteger(name))
                 : reflection->SetUInt64(message, field, SampleInteger(name));
        break;
      case FieldDescriptor::CPPTYPE_FLOAT:
        repeated ? reflection->AddFloat(message, field, kSamplePrice)
                 : reflection->SetFloat(message, field, kSamplePrice);
        break;
      case FieldDescriptor::CPPTYPE_DOUBLE:
        repeated ? reflection->AddDouble(message, field, kSamplePrice)
                 : reflection->SetDouble(message, field, kSamplePrice);
        break;
      case FieldDescriptor::CPPTYPE_BOOL:
        repeated ? reflection->AddBool(message, field, true)
                 : reflection->SetBool(message, field, true);
        break;
      case FieldDescriptor::CPPTYPE_ENUM: {
        // The first value after the UNSPECIFIED zero: a real state, not the default.
        const auto* type = field->enum_type();
        const int index = type->value_count() > 1 ? 1 : 0;
        repeated ? reflection->AddEnum(message, field, type->value(index))
                 : reflection->SetEnum(message, field, type->value(index));
        break;
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        Message* child = repeated ? reflection->AddMessage(message, field)
                                  : reflection->MutableMessage(message, field);
        FillMessage(child, depth + 1);
        break;
      }
    }
  }
}

}  // namespace

void FillRealistic(Message* message) { FillMessage(message, 0); }

}  // namespace switchboard::bench
