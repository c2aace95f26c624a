#include "gateway/static_files/content_types.h"

#include <map>

#include "gateway/codec/headers.h"

namespace switchboard::gateway::static_files {
namespace {

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string ContentTypeOf(std::string_view path) {
  static const auto* const kTypes = new std::map<std::string, std::string, std::less<>>{
      {"css", "text/css; charset=utf-8"},
      {"csv", "text/csv; charset=utf-8"},
      {"gif", "image/gif"},
      {"htm", "text/html; charset=utf-8"},
      {"html", "text/html; charset=utf-8"},
      {"ico", "image/x-icon"},
      {"jpeg", "image/jpeg"},
      {"jpg", "image/jpeg"},
      {"js", "text/javascript; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"md", "text/markdown; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"pdf", "application/pdf"},
      {"png", "image/png"},
      {"svg", "image/svg+xml"},
      {"txt", "text/plain; charset=utf-8"},
      {"wasm", "application/wasm"},
      {"webmanifest", "application/manifest+json"},
      {"webp", "image/webp"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"xml", "application/xml"},
  };
  const size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "application/octet-stream";
  auto it = kTypes->find(ToLower(name.substr(dot + 1)));
  return it == kTypes->end() ? "application/octet-stream" : it->second;
}

bool IsCompressible(std::string_view content_type) {
  return StartsWith(content_type, "text/") || StartsWith(content_type, "application/json") ||
         StartsWith(content_type, "application/manifest+json") ||
         StartsWith(content_type, "application/xml") ||
         StartsWith(content_type, "application/wasm") || StartsWith(content_type, "image/svg+xml");
}

}  // namespace switchboard::gateway::static_files
