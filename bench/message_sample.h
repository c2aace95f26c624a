// Fills a protobuf message with the values the system really sends, chosen from each field's
// name and type, so that size comparisons measure real traffic rather than empty messages.
#pragma once

#include <google/protobuf/message.h>

#include <cstddef>

namespace switchboard::bench {

// Elements put in each repeated field (a page of events, a list of replicas).
inline constexpr int kSampleRepeatedCount = 3;
// Nested messages deeper than this stay empty (no contract nests deeper; this bounds recursion).
inline constexpr int kSampleMaxDepth = 4;
// A `bytes data` field is an upload chunk: the upload service's default chunk size.
inline constexpr size_t kSampleChunkBytes = 64 * 1024;
// Any other `bytes` field: a digest-sized value.
inline constexpr size_t kSampleSmallBytes = 32;

// Sets every field of `message` (the first member of each oneof) to a realistic value.
void FillRealistic(google::protobuf::Message* message);

}  // namespace switchboard::bench
