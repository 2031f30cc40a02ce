// The server side of the sync protocol (schema/PROTOCOL.md) for one WebSocket
// session, as a state machine with no I/O: frames in, frames out. This is the
// one place where client-core's result<>/errc and store failures become wire
// errors, metrics and log lines. Owned by one session; single-threaded.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "metrics.hpp"
#include "packline/bytes.hpp"
#include "packline/protocol.hpp"
#include "packline/result.hpp"
#include "store.hpp"

namespace packline::server {

// What the session must do after a frame.
struct reply {
  std::vector<bytes> frames;   // send these, in order
  bool close = false;          // then close the connection
  bool joined = false;         // the session has just authenticated: join its space's hub
  std::uint64_t published = 0; // > 0: new changes up to here; notify the space's other sessions
};

class sync_handler {
 public:
  // `peer` names the session in log lines (e.g. "127.0.0.1:53412#7").
  sync_handler(store& db, metrics& stats, bytes default_space, std::string peer);

  reply on_frame(const std::uint8_t* data, std::size_t size);
  reply on_frame(const bytes& frame) { return on_frame(frame.data(), frame.size()); }
  // A text frame: the protocol is binary only.
  reply on_text_frame();
  // A frame over limits::max_frame_bytes that the transport refused to read.
  reply on_oversized_frame();

  bool authenticated() const { return phase_ == phase::ready; }
  const bytes& space() const { return space_; }
  const bytes& device() const { return device_; }
  const std::string& peer() const { return peer_; }

  // Wire code for any errc: codes 1..9 are the protocol's; the rest are
  // internal failures the client can only retry (storage) or not fix (malformed).
  static std::uint32_t wire_code(errc e);

 private:
  enum class phase { expect_hello, expect_auth, ready };

  reply on_hello(const proto::hello& m);
  reply on_auth(const proto::auth& m);
  reply on_push(const proto::push& m);
  reply on_pull(const proto::pull& m);
  // The boundary: error frame + metric + log; closes unless the client may retry.
  reply fail(const error& e);
  reply fail(errc code, std::string text) { return fail(make_error(code, std::move(text))); }

  store& db_;
  metrics& stats_;
  bytes default_space_;
  std::string peer_;
  phase phase_ = phase::expect_hello;
  bytes device_;
  bytes space_;
  bytes nonce_;
};

}  // namespace packline::server
