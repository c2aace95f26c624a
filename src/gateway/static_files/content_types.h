// What a file is by its name: the Content-Type it is served with, and whether gzip is worth it.
#pragma once

#include <string>
#include <string_view>

namespace switchboard::gateway::static_files {

// By the extension of `path`, case-insensitively; application/octet-stream when unknown.
std::string ContentTypeOf(std::string_view path);

// Text-like types gzip shrinks; images, fonts and archives are compressed already.
bool IsCompressible(std::string_view content_type);

}  // namespace switchboard::gateway::static_files
