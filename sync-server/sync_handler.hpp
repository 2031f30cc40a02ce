// The server side of the sync protocol (schema/PROTOCOL.md) for one WebSocket
// session, as a state machine with no I/O: frames in, replies out. Slow work
// (signature checks, the store) goes through `services` and the reply comes
// back later, on the io thread; the session feeds the next frame only after
// the reply of the previous one (one request in flight, answered in order).
// This is the one place where client-core's result<>/errc and store failures
// become wire errors, metrics and log lines. Owned by one session.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "metrics.hpp"
#include "packline/base/bytes.hpp"
#include "packline/wire/protocol.hpp"
#include "packline/base/result.hpp"
#include "services.hpp"
#include "store.hpp"

namespace packline::server {

// What the session must do after a frame.
struct reply {
  std::vector<bytes> frames;   // send these, in order
  bool close = false;          // then close the connection
  bool joined = false;         // the session has just authenticated: join its space's hub
  std::uint64_t published = 0; // > 0: new changes up to here (publish `live` to the space)
  std::shared_ptr<const bytes> live;  // with published: the encoded live frame of the new changes
  std::uint64_t live_prev = 0;        // ... which follows this sequence
  bool keyring_changed = false;       // keyring records were stored: sessions of revoked devices must go
  // The client will have every change up to this once it has read `frames`
  // (a changes answer with more = false): a v2 session is live from here.
  std::optional<std::uint64_t> caught_up;
};

class sync_handler {
 public:
  using done_fn = std::function<void(reply)>;

  // `peer` names the session in log lines (e.g. "127.0.0.1:53412#7").
  sync_handler(services& svc, metrics& stats, bytes default_space, std::string peer);
  // Everything inline on a store (tests): on_frame(bytes) returns the reply.
  sync_handler(store& db, metrics& stats, bytes default_space, std::string peer);

  // Handles one frame; `done` runs exactly once, on the io thread, maybe
  // before on_frame returns. No other frame may be fed until then.
  void on_frame(const std::uint8_t* data, std::size_t size, done_fn done);
  // For inline services (tests): the reply at once.
  reply on_frame(const std::uint8_t* data, std::size_t size);
  reply on_frame(const bytes& frame) { return on_frame(frame.data(), frame.size()); }
  // A text frame: the protocol is binary only.
  reply on_text_frame();
  // The largest frame this session may send now: small before auth (hello
  // and auth only), max_frame_bytes after.
  std::size_t frame_limit() const;
  // A frame over frame_limit() that the transport refused to read.
  reply on_oversized_frame();
  // After the space's keyring changed: error{revoked} and a close when this
  // session's device (or its member) was removed; nothing otherwise.
  reply recheck_membership();

  bool authenticated() const { return phase_ == phase::ready; }
  std::uint32_t version() const { return version_; }
  const bytes& space() const { return space_; }
  const bytes& device() const { return device_; }
  const std::string& peer() const { return peer_; }

 private:
  enum class phase { expect_hello, expect_auth, ready };

  reply on_hello(const proto::hello& m);
  void on_auth(const proto::auth& m, done_fn done);
  void on_push(const proto::push& m, done_fn done);
  void on_pull(const proto::pull& m, done_fn done);
  void on_snapshot_put(proto::snapshot_put& m, done_fn done);
  void on_snapshot_get(const proto::snapshot_get& m, done_fn done);
  void on_keyring_get(const proto::keyring_get& m, done_fn done);
  // The boundary: error frame + metric + log; closes unless the client may retry.
  reply fail(const error& e, std::uint32_t wire = 0);
  reply fail(errc code, std::string text) { return fail(make_error(code, std::move(text))); }

  std::unique_ptr<services> own_;  // inline services of the store constructor
  services& svc_;
  metrics& stats_;
  bytes default_space_;
  std::string peer_;
  phase phase_ = phase::expect_hello;
  std::uint32_t version_ = 0;
  bytes device_;
  bytes space_;
  bytes nonce_;
  // Secured panels: the shared keyrings (the store's), known after auth; io thread only.
  membership* keyrings_ = nullptr;
  // A secured space's gate for reads: not_member / revoked, or ok.
  result<void> may_read() const;
};

}  // namespace packline::server
