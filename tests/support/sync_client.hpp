// Native test clients for the server integration tests: `sync_client` is a
// real device (packline::replica + packline::sync_session) over ws_client;
// `raw_device` speaks the protocol frame by frame to provoke server errors.
// Single-threaded: the test drives every client in turn.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "packline/wire/codec.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/base/limits.hpp"
#include "packline/replica/replica.hpp"
#include "packline/sync/sync.hpp"
#include "net/ws_client.hpp"

namespace packline::test {

// The tests speak through the CLI's network client.
using net::http_get;
using net::http_response;
using net::ws_client;
using net::ws_event;

std::uint64_t wall_ms();

class sync_client {
 public:
  // A new device; joins `space` (16 bytes) up front when given, so it can
  // commit offline before ever connecting.
  explicit sync_client(const bytes& space = {});
  // A device whose secret is the 32-byte `seed` (a test that also speaks
  // frames as this device, raw_device(seed)).
  sync_client(const bytes& space, const bytes& seed);
  // A device reopened from its stored copy (e.g. replica::open_sealed).
  explicit sync_client(std::unique_ptr<replica> r);

  replica& rep() { return *rep_; }
  sync_session& session() { return session_; }

  // Local transaction; pushed at once when connected.
  std::uint64_t commit(std::vector<op> ops);
  // Sends what the session has to send now (after changes made on rep()).
  void flush();
  // A question row with a body (commit helper).
  bytes draft_question(const std::string& body);

  bool connect(std::uint16_t port);
  void disconnect();  // polite close
  void drop();        // TCP cut, no close frame
  bool connected() const { return ws_.is_open(); }

  // Handles at most one incoming frame (waiting up to `wait`). Returns true if
  // a frame was handled.
  bool step(std::chrono::milliseconds wait);
  // Steps until synced and quiet for `quiet`, or until `limit`.
  bool sync(std::chrono::milliseconds limit = std::chrono::seconds(20),
            std::chrono::milliseconds quiet = std::chrono::milliseconds(300));

  // Every ack entry received (what the server promised is durable).
  const std::vector<proto::ack_entry>& acks() const { return acks_; }
  // Errors: from the session (refused frames) or error frames of the server.
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::unique_ptr<replica> rep_;
  sync_session session_;
  ws_client ws_;
  std::vector<proto::ack_entry> acks_;
  std::vector<std::string> errors_;
};

// Steps every client until all are synced and none received a frame for
// `quiet`; false on timeout.
bool sync_all(const std::vector<sync_client*>& clients,
              std::chrono::milliseconds limit = std::chrono::seconds(30),
              std::chrono::milliseconds quiet = std::chrono::milliseconds(400));

// A device that speaks frames directly.
class raw_device {
 public:
  raw_device();
  explicit raw_device(const bytes& seed);  // the device of that 32-byte secret
  const bytes& id() const { return key_.public_key(); }
  const crypto::signing_key& key() const { return key_; }
  ws_client& ws() { return ws_; }

  bool connect(std::uint16_t port);
  // hello/challenge/auth; returns the welcome, or nullopt (see last_error()).
  std::optional<proto::welcome> handshake(const bytes& space = {},
                                          std::uint32_t version = limits::protocol_version);
  // A signed envelope of one set op, by this device, for `space`.
  envelope make_envelope(const bytes& space, std::uint64_t seq, const std::string& body);
  bytes encode(const envelope& e) { return codec::encode_envelope(e); }

  bool send(const proto::message& m) { return ws_.send(codec::encode(m)); }
  // Next decoded message (nullopt on close/timeout/error; see last_event()).
  std::optional<proto::message> next(std::chrono::milliseconds wait = std::chrono::seconds(5));
  // Waits for the connection to end; returns the close code (or -1).
  int wait_closed(std::chrono::milliseconds wait = std::chrono::seconds(5));
  const ws_event& last_event() const { return last_; }

 private:
  crypto::signing_key key_;
  ws_client ws_;
  ws_event last_;
};

}  // namespace packline::test
