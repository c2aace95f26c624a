// The `switchboard call` modes that are more than JSON in, JSON out: a file upload with a
// progress bar, a download to a file, and an interactive chat.
#pragma once

#include "cli/call_context.h"

namespace switchboard::cli {

int RunUpload(const CallFlags& flags);
int RunDownload(const CallFlags& flags);
int RunChat(const CallFlags& flags);

}  // namespace switchboard::cli
