// A real packline-server in its own temp folder for doctest cases, and a
// typed look at a decoded frame. Header-only; include from test files only.
#pragma once
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "packline/crypto/crypto.hpp"
#include "packline/wire/protocol.hpp"
#include "support/server_process.hpp"
#include "support/sync_client.hpp"

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

// Pushes `n` changes of `body_bytes` each into `space` as one device; true when all were acked.
inline bool push_changes(std::uint16_t port, const bytes& space, int n, std::size_t body_bytes,
                  const std::string& marker = "") {
  raw_device d;
  if (!d.connect(port) || !d.handshake(space)) return false;
  std::uint64_t seq = 0;
  while (seq < static_cast<std::uint64_t>(n)) {
    proto::push p;
    for (int k = 0; k < 4 && seq < static_cast<std::uint64_t>(n); ++k) {
      ++seq;
      std::string body = marker + std::to_string(seq) + ":" + std::string(body_bytes, 'x');
      p.envelopes.push_back(d.encode(d.make_envelope(space, seq, body)));
    }
    if (!d.send(p)) return false;
    auto m = d.next(std::chrono::seconds(10));
    if (!get<proto::ack>(m)) return false;
  }
  return true;
}

// Pulls the whole space; the number of changes received, or -(error code).
inline long long pull_all(std::uint16_t port, const bytes& space) {
  raw_device d;
  if (!d.connect(port) || !d.handshake(space)) return -1000;
  std::uint64_t since = 0;
  long long got = 0;
  for (;;) {
    d.send(proto::pull{since});
    auto m = d.next(std::chrono::seconds(10));
    if (auto* e = get<proto::error>(m)) return -static_cast<long long>(e->code);
    auto* c = get<proto::changes>(m);
    if (!c) return -1001;
    got += static_cast<long long>(c->items.size());
    since = c->next;
    if (!c->more) return got;
  }
}

inline bytes space_of(std::uint8_t b) { return bytes(16, b); }

}  // namespace packline::test
