// Fan-out of "the space has new changes" to the sessions of one space (Beast's
// chat-multi shared state, one hub per space). Single-threaded: only the
// io_context thread touches hubs; a multi-threaded server would need a strand
// or a mutex here. Sessions join after welcome and leave in their destructor.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <unordered_set>
#include <vector>

#include "packline/bytes.hpp"

namespace packline::server {

// A session that wants notify frames. on_notify only queues; it must not
// destroy the subscriber or call back into the hub.
class subscriber {
 public:
  virtual void on_notify(std::uint64_t cursor) = 0;

 protected:
  ~subscriber() = default;
};

class hub {
 public:
  void join(subscriber* s) { subs_.insert(s); }
  void leave(subscriber* s) { subs_.erase(s); }
  // Tells every session of the space except `from` that changes up to
  // `cursor` exist. Returns how many were told.
  std::size_t publish(std::uint64_t cursor, const subscriber* from);
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
