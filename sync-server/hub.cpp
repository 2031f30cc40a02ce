// Per-space fan-out (see hub.hpp). Single-threaded by design.
#include "hub.hpp"

namespace packline::server {

std::size_t hub::publish(const live_event& e) {
  // Copy first: on_live must not change membership, but a copy makes a
  // future violation harmless instead of undefined behaviour.
  std::vector<subscriber*> targets(subs_.begin(), subs_.end());
  for (auto* s : targets) s->on_live(e);
  return targets.size();
}

void hub::keyring_changed() {
  std::vector<subscriber*> targets(subs_.begin(), subs_.end());  // as publish
  for (auto* s : targets) s->on_keyring_changed();
}

std::shared_ptr<hub> hub_registry::get(const bytes& space) {
  sweep();
  auto& slot = hubs_[space];
  auto h = slot.lock();
  if (!h) {
    h = std::make_shared<hub>();
    slot = h;
  }
  return h;
}

std::size_t hub_registry::spaces() {
  sweep();
  return hubs_.size();
}

void hub_registry::sweep() {
  // Called once per authenticated session: spaces are few (one per panel),
  // so a full sweep is cheaper than bookkeeping.
  for (auto it = hubs_.begin(); it != hubs_.end();) {
    if (it->second.expired()) it = hubs_.erase(it);
    else ++it;
  }
}

}  // namespace packline::server
