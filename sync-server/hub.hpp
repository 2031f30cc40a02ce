// Fan-out of new changes to the sessions of one space (Beast's chat-multi
// shared state, one hub per space). The encoded live frame is built once and
// shared by every session's queue. Single-threaded: only the io_context thread
// touches hubs; a multi-threaded server would need a strand or a mutex here.
// Sessions join after welcome and leave in their destructor.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <unordered_set>
#include <vector>

#include "packline/base/bytes.hpp"

namespace packline::server {

// Changes (prev, last] of a space were stored; `frame` is their encoded
// `live` message (protocol v2). Published in server-sequence order.
struct live_event {
  std::uint64_t prev = 0;
  std::uint64_t last = 0;
  std::shared_ptr<const bytes> frame;
  const void* from = nullptr;  // the pushing session (it needs no notify for its own changes)
};

// A session that wants new changes (as live frames or notify, its choice).
// on_live and on_keyring_changed only queue; they must not destroy the
// subscriber or call back into the hub.
class subscriber {
 public:
  virtual void on_live(const live_event& e) = 0;
  // The space's keyring changed (a member removed, a device
  // revoked): a session whose device is now refused closes at once.
  virtual void on_keyring_changed() = 0;

 protected:
  ~subscriber() = default;
};

class hub {
 public:
  void join(subscriber* s) { subs_.insert(s); }
  void leave(subscriber* s) { subs_.erase(s); }
  // Tells every session of the space, the pusher's included (its cursor must
  // stay contiguous), about the new changes. Returns how many were told.
  std::size_t publish(const live_event& e);
  // Every session of the space re-checks its device against the keyring.
  void keyring_changed();
  std::size_t size() const { return subs_.size(); }

 private:
  std::unordered_set<subscriber*> subs_;
};

// The hubs of all spaces with at least one live session. Sessions keep their
// hub alive through the shared_ptr; an unused hub disappears with its last session.
class hub_registry {
 public:
  std::shared_ptr<hub> get(const bytes& space);
  std::size_t spaces();

 private:
  void sweep();
  std::map<bytes, std::weak_ptr<hub>> hubs_;
};

}  // namespace packline::server
