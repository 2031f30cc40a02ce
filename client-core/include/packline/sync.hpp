// The client side of the sync protocol as a state machine over a replica. The
// host owns the socket: it calls on_open/on_frame/on_close and sends the frames
// returned. No I/O and no timers here, so native and WASM clients share it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "packline/protocol.hpp"
#include "packline/replica.hpp"

namespace packline {

enum class sync_state { offline, connecting, syncing, synced };
const char* to_string(sync_state s);

class sync_session {
 public:
  explicit sync_session(replica& r) : r_(r) {}
  // Socket is open: returns [hello].
  std::vector<bytes> on_open();
  // A frame from the server: returns frames to send. An error result means
  // the host should close the socket and reconnect later.
  result<std::vector<bytes>> on_frame(const bytes& frame, std::uint64_t now_ms);
  void on_close();
  // After a local commit: returns a push if one can go now.
  std::vector<bytes> flush();
  sync_state state() const;
  // Remote changes this replica refused (reason), since the last call.
  std::vector<std::string> take_rejections();
  // Whether the last applied frame changed materialised state (for the UI).
  bool take_dirty();

 private:
  std::vector<bytes> next_frames();
  result<void> apply_stored(const proto::stored_change& c, std::uint64_t now_ms);
  replica& r_;
  enum class phase { closed, hello_sent, auth_sent, ready } phase_ = phase::closed;
  bool push_in_flight_ = false;
  bool pull_in_flight_ = false;
  std::uint64_t server_cursor_ = 0;
  std::vector<std::string> rejections_;
  bool dirty_ = false;
};

}  // namespace packline
