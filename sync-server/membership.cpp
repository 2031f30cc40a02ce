// See membership.hpp. The scan pages through the store like a pull.
#include "membership.hpp"

#include "packline/wire/codec.hpp"
#include "packline/base/limits.hpp"
#include "store.hpp"

namespace packline::server {

space_keyring* membership::find(const bytes& space) {
  auto it = spaces_.find(space);
  return it == spaces_.end() ? nullptr : &it->second;
}

space_keyring& membership::install(const bytes& space, space_keyring k) {
  return spaces_.try_emplace(space, std::move(k)).first->second;
}

result<space_keyring> membership::load(store& db, const bytes& space) {
  space_keyring out;
  std::uint64_t since = 0;
  for (;;) {
    auto pg = db.changes_since(space, since, limits::max_pull_changes, limits::max_frame_bytes);
    if (!pg) return pg.err();
    for (auto& s : pg.value().items) {
      out.empty = false;
      auto e = codec::decode_envelope(s.envelope);
      if (!e || e->epoch != keyring::record_epoch) continue;
      out.record_seqs.insert(s.server_seq);
      auto r = codec::decode_keyring(e->payload);
      // Stored records were admitted once; one that no longer applies (it
      // cannot, short of a damaged store) is skipped like every replica does.
      if (r) (void)out.state.apply(space, *r, e->actor, e->seq, s.server_seq == 1);
    }
    if (!pg.value().more || pg.value().items.empty()) break;
    since = pg.value().next;
  }
  return out;
}

}  // namespace packline::server
