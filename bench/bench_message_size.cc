// Protobuf vs JSON for every message type of the contracts: encoded size with realistic values
// and with every field at its default, and encode/decode CPU per message (docs/report.md, 1).
// The JSON is what the gateway's REST side prints (camelCase, default-valued fields included);
// the size with default fields omitted is printed beside it.
//
// Usage: bench_message_size --descriptors=build/switchboard.pb [--min-ms=20] [--repeats=5]
// Prints one tab-separated line per message type, after a header line.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench_common.h"
#include "message_sample.h"

namespace switchboard::bench {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptorSet;
using google::protobuf::Message;
using google::protobuf::MessageFactory;
namespace util = google::protobuf::util;

constexpr int64_t kDefaultMinMs = 20;
constexpr int64_t kDefaultRepeats = 5;
constexpr int64_t kMaxRepeats = 101;
constexpr int64_t kMaxMinMs = 10000;
constexpr int64_t kFirstBatch = 16;
// Library types the contracts import (google.api annotations, well-known types) are not measured.
constexpr char kLibraryPrefix[] = "google/";

// Nanoseconds per call of `op`: batches double until one lasts min_ms; the median of `repeats`.
double NanosPerCall(const std::function<void()>& op, int64_t min_ms, int64_t repeats) {
  using Clock = std::chrono::steady_clock;
  std::vector<double> samples;
  for (int64_t r = 0; r < repeats; ++r) {
    for (int64_t batch = kFirstBatch;; batch *= 2) {
      const auto start = Clock::now();
      for (int64_t i = 0; i < batch; ++i) op();
      const auto elapsed = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
      if (elapsed >= min_ms * 1e6) {
        samples.push_back(elapsed / batch);
        break;
      }
    }
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

void CollectTypes(const Descriptor* type, std::vector<const Descriptor*>* out) {
  if (type->options().map_entry()) return;  // a map's entry is part of its field, not a message
  out->push_back(type);
  for (int i = 0; i < type->nested_type_count(); ++i) CollectTypes(type->nested_type(i), out);
}

std::string Json(const Message& message, bool print_defaults) {
  util::JsonPrintOptions options;
  options.add_whitespace = false;
  options.always_print_primitive_fields = print_defaults;
  std::string json;
  const auto status = util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    std::fprintf(stderr, "%s: JSON print failed: %s\n", message.GetTypeName().c_str(),
                 status.ToString().c_str());
    std::exit(1);
  }
  return json;
}

int Run(int argc, char** argv) {
  Flags flags(argc, argv);
  const std::string descriptors = flags.Str("descriptors", "");
  const int64_t min_ms = flags.Int("min-ms", kDefaultMinMs);
  const int64_t repeats = flags.Int("repeats", kDefaultRepeats);
  flags.CheckAllUsed();
  if (descriptors.empty()) {
    std::fprintf(stderr, "--descriptors=FILE is required (build/switchboard.pb)\n");
    return 2;
  }
  if (min_ms < 1 || min_ms > kMaxMinMs) {
    std::fprintf(stderr, "--min-ms=%lld: must be 1..%lld\n", static_cast<long long>(min_ms),
                 static_cast<long long>(kMaxMinMs));
    return 2;
  }
  if (repeats < 1 || repeats > kMaxRepeats) {
    std::fprintf(stderr, "--repeats=%lld: must be 1..%lld\n", static_cast<long long>(repeats),
                 static_cast<long long>(kMaxRepeats));
    return 2;
  }
  std::ifstream in(descriptors, std::ios::binary);
  FileDescriptorSet set;
  if (!in || !set.ParseFromIstream(&in)) {
    std::fprintf(stderr, "--descriptors=%s: not a readable FileDescriptorSet\n",
                 descriptors.c_str());
    return 2;
  }

  // The generated classes (linked whole), so the timings are those of the services' own code.
  std::vector<const Descriptor*> types;
  for (const auto& file_proto : set.file()) {
    if (file_proto.name().rfind(kLibraryPrefix, 0) == 0) continue;
    const auto* file = DescriptorPool::generated_pool()->FindFileByName(file_proto.name());
    if (file == nullptr) {
      std::fprintf(stderr, "%s: no generated code linked for this file\n",
                   file_proto.name().c_str());
      return 1;
    }
    for (int i = 0; i < file->message_type_count(); ++i)
      CollectTypes(file->message_type(i), &types);
  }

  std::printf(
      "type\tpb_bytes\tjson_bytes\tpb_default_bytes\tjson_default_bytes\t"
      "json_default_omitted_bytes\tpb_encode_ns\tpb_decode_ns\tjson_encode_ns\tjson_decode_ns\n");
  size_t sink = 0;
  for (const Descriptor* type : types) {
    const Message* prototype = MessageFactory::generated_factory()->GetPrototype(type);
    std::unique_ptr<Message> sample(prototype->New());
    FillRealistic(sample.get());
    std::unique_ptr<Message> empty(prototype->New());
    std::unique_ptr<Message> scratch(prototype->New());

    const std::string binary = sample->SerializeAsString();
    const std::string json = Json(*sample, true);
    std::string out;
    const double pb_encode = NanosPerCall(
        [&] {
          sample->SerializeToString(&out);
          sink += out.size();
        },
        min_ms, repeats);
    const double pb_decode = NanosPerCall(
        [&] {
          scratch->ParseFromString(binary);
          sink += scratch->ByteSizeLong() > 0;
        },
        min_ms, repeats);
    util::JsonPrintOptions print;
    print.always_print_primitive_fields = true;
    const double json_encode = NanosPerCall(
        [&] {
          out.clear();
          (void)util::MessageToJsonString(*sample, &out, print);
          sink += out.size();
        },
        min_ms, repeats);
    const double json_decode = NanosPerCall(
        [&] {
          scratch->Clear();
          (void)util::JsonStringToMessage(json, scratch.get());
          sink += scratch->ByteSizeLong() > 0;
        },
        min_ms, repeats);

    std::printf("%s\t%zu\t%zu\t%zu\t%zu\t%zu\t%.0f\t%.0f\t%.0f\t%.0f\n", type->full_name().c_str(),
                binary.size(), json.size(), empty->ByteSizeLong(), Json(*empty, true).size(),
                Json(*empty, false).size(), pb_encode, pb_decode, json_encode, json_decode);
    std::fflush(stdout);
  }
  std::fprintf(stderr, "measured %zu message types (checksum %zu)\n", types.size(), sink);
  return 0;
}

}  // namespace
}  // namespace switchboard::bench

int main(int argc, char** argv) { return switchboard::bench::Run(argc, argv); }
