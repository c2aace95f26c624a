// A blocking HTTP/1.1 GET for the gateway's tests: one request on its own connection
// (Connection: close), read to EOF, with its status, headers and body taken apart.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "gateway/codec/headers.h"

namespace switchboard::gateway::testing {

struct HttpResponse {
  int status = 0;  // 0: no answer (the connection failed or nothing parseable came)
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// GET `target` from 127.0.0.1:`port` with `headers`; each read waits at most `timeout`.
HttpResponse HttpGet(int port, const std::string& target, const Headers& headers = {},
                     std::chrono::seconds timeout = std::chrono::seconds(10));

}  // namespace switchboard::gateway::testing
