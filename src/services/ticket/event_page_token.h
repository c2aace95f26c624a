// ListEvents page tokens, the same for every engine: the sort key (starts_at, id) of the last
// event of a page, opaque to clients.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "switchboard/ticket/v1/ticket.pb.h"

namespace switchboard::ticket {

struct EventPageCursor {
  int64_t after_start = INT64_MIN;  // the first page starts before every event
  std::string after_id;
};

std::string EncodePageToken(const v1::Event& last);
// An empty token is the first page; anything not made by EncodePageToken is INVALID_ARGUMENT.
absl::StatusOr<EventPageCursor> DecodePageToken(const std::string& token);
// page_size 0 is the default, larger than the maximum is the maximum, negative is an error.
absl::StatusOr<int> PageLimit(int page_size, int default_size, int max_size);

}  // namespace switchboard::ticket
