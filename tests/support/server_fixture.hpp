// A real packline-server in its own temp folder for doctest cases, and a
// typed look at a decoded frame. Header-only; include from test files only.
#pragma once
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "packline/crypto.hpp"
#include "packline/protocol.hpp"
#include "support/server_process.hpp"

namespace packline::test {

// One server with its own folder; the log is printed when a check fails.
struct server_fixture {
  temp_dir tmp;
  std::unique_ptr<server_process> srv;

  explicit server_fixture(std::vector<std::string> args = {}) {
    REQUIRE(crypto::init().ok());
    REQUIRE_FALSE(tmp.path().empty());
    srv = std::make_unique<server_process>(tmp.sub("data"), tmp.sub("server.log"), std::move(args));
    start();
  }
  void start() { REQUIRE_MESSAGE(srv->start(), srv->error()); }
  std::uint16_t port() const { return srv->port(); }
  std::string log() const { return srv->log(); }
};

template <class T>
const T* get(const std::optional<proto::message>& m) {
  return m ? std::get_if<T>(&*m) : nullptr;
}

// One sample of /metrics text by name (~0 when absent).
inline std::uint64_t metric(const std::string& text, const std::string& name) {
  auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return ~0ull;
  return std::stoull(text.substr(at + name.size() + 2));
}

// Reads frames until an error frame; its code (0 if none came).
template <class Device>
std::uint32_t expect_error(Device& d) {
  for (int i = 0; i < 10; ++i) {
    auto m = d.next(std::chrono::seconds(5));
    if (!m) return 0;
    if (auto* e = get<proto::error>(m)) return e->code;
  }
  return 0;
}

}  // namespace packline::test
