#include "gateway/codec/grpc_framing.h"

#include "absl/strings/str_cat.h"

namespace switchboard::gateway {

void AppendFrame(uint8_t flags, std::string_view payload, std::string* out) {
  const auto size = static_cast<uint32_t>(payload.size());
  out->push_back(static_cast<char>(flags));
  out->push_back(static_cast<char>((size >> 24) & 0xff));
  out->push_back(static_cast<char>((size >> 16) & 0xff));
  out->push_back(static_cast<char>((size >> 8) & 0xff));
  out->push_back(static_cast<char>(size & 0xff));
  out->append(payload.data(), payload.size());
}

bool FrameDecoder::Next(GrpcFrame* frame) {
  if (!status_.ok()) return false;
  const size_t available = buffer_.size() - offset_;
  if (available < kFrameHeaderBytes) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(buffer_.data() + offset_);
  const uint32_t size = (uint32_t{p[1]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 8) |
                        uint32_t{p[4]};
  if (size > max_message_bytes_) {
    status_ = absl::ResourceExhaustedError(absl::StrCat(
        "message of ", size, " bytes is larger than the limit of ", max_message_bytes_));
    return false;
  }
  if (available < kFrameHeaderBytes + size) return false;
  frame->flags = p[0];
  frame->payload.assign(buffer_.data() + offset_ + kFrameHeaderBytes, size);
  offset_ += kFrameHeaderBytes + size;
  // Compact once the consumed prefix dominates, so memory stays proportional to one frame.
  if (offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ > buffer_.size() / 2) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  return true;
}

}  // namespace switchboard::gateway
