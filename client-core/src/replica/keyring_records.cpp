// Keyring records in the replica: applying them in server order as they
// arrive in the change stream, this device's own records until the server
// has them, and the keys they unwrap for this device.
#include <algorithm>
#include <cstdio>
#include <optional>

#include "packline/base/limits.hpp"
#include "packline/rules/rules.hpp"
#include "packline/wire/codec.hpp"
#include "packline/wire/protocol.hpp"
#include "replica/db.hpp"
#include "replica/replica_keys.hpp"

namespace packline {
using namespace detail;

// ---- keyring records -----------------------------------------------------

result<std::uint64_t> replica::commit_record(keyring::record r, std::uint64_t now_ms) {
  bytes sp = space();
  if (sp.empty()) return make_error(errc::bad_state, "this device has not joined a panel yet");
  envelope e;
  e.space = sp;
  e.seq = next_seq_;
  e.epoch = keyring::record_epoch;
  e.payload = codec::encode_keyring(r);
  crypto::sign_envelope(e, key_);
  bytes env = codec::encode_envelope(e);
  if (env.size() > limits::max_envelope_bytes) return make_error(errc::too_large, "this keyring record is too large");
  hlc_timestamp t = clock_.tick(now_ms);
  auto ins = db_->prepare("INSERT INTO change_log(actor, seq, hlc_wall, hlc_counter, envelope, server_seq) VALUES(?1,?2,?3,?4,?5,NULL)");
  if (!ins) return ins.err();
  PL_TRY((*ins)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq)).bind(3, static_cast<std::int64_t>(t.wall_ms))
             .bind(4, static_cast<std::int64_t>(t.counter)).bind(5, env).run());
  PL_TRY(meta_set(*db_, num_key(k_own, e.seq, 20), std::int64_t{1}));
  keys_->own_records.insert(e.seq);
  return next_seq_++;
}

result<std::uint64_t> replica::commit_admin(keyring::record r, std::uint64_t now_ms) {
  if (keyring::chained(r.k)) r.prev = chain_tip();
  keyring::sign(r, space(), *keys_->admin);
  return commit_record(std::move(r), now_ms);
}

std::vector<keyring::record> replica::unapplied_records() {
  (void)settle_acked();
  std::vector<keyring::record> out;
  auto sel = db_->prepare("SELECT envelope FROM change_log WHERE actor = ?1 AND seq = ?2");
  if (!sel) return out;
  for (std::uint64_t seq : keys_->own_records) {
    (*sel)->bind(1, device_id()).bind(2, static_cast<std::int64_t>(seq));
    auto r = (*sel)->step();
    bytes env = r && *r ? (*sel)->column_blob(0) : bytes{};
    (*sel)->reset();
    auto e = codec::decode_envelope(env);
    auto rec = e ? codec::decode_keyring(e->payload) : result<keyring::record>(e.err());
    if (rec) out.push_back(std::move(*rec));
  }
  return out;
}

bytes replica::chain_tip() {
  auto unapplied = unapplied_records();  // settles acknowledged records first, which moves the head
  bytes tip = keys_->kr.head();
  bytes sp = space();
  for (auto& rec : unapplied)
    if (rec.k == keyring::kind::genesis || keyring::chained(rec.k)) tip = keyring::record_hash(sp, rec);
  return tip;
}

result<apply_status> replica::apply_record(const envelope& e, const bytes& env_bytes, std::uint64_t server_seq, std::uint64_t now_ms) {
  auto logged = in_log(e.actor, e.seq);
  if (!logged) return logged.err();
  bool exists = logged->exists, unacked = logged->unacked;
  if (keys_->kr.applied(e.actor, e.seq) || (exists && e.actor != device_id())) {
    if (unacked) PL_TRY(acked(e.actor, e.seq, server_seq));
    return apply_status::duplicate;
  }
  auto rec = codec::decode_keyring(e.payload);
  if (!rec) {
    PL_TRY(record_refused(e, env_bytes, server_seq));
    return rec.err();
  }
  // Records apply in server order; the first change of a space is the only
  // place for a genesis.
  auto notes = device_notes(keys_->kr, *rec);
  auto r = keys_->kr.apply(space(), *rec, e.actor, e.seq, server_seq == 1);
  if (e.actor == device_id() && keys_->own_records.erase(e.seq))  // applied, or refused for good
    PL_TRY(mdel(*db_, num_key(k_own, e.seq, 20)));
  if (!r) {
    if (!exists) PL_TRY(record_refused(e, env_bytes, server_seq));
    else if (unacked) PL_TRY(acked(e.actor, e.seq, server_seq));
    return r.err();
  }
  keep_notes(notes, server_seq);
  {
    transaction tx(*db_);
    PL_TRY(meta_set(*db_, num_key(k_log, keys_->log_size, 20), env_bytes));
    if (!exists) PL_TRY(record_refused(e, env_bytes, server_seq));  // same row shape: known, no ops
    else if (unacked) PL_TRY(acked(e.actor, e.seq, server_seq));
    PL_TRY(tx.commit());
  }
  ++keys_->log_size;
  PL_TRY(record_side_effects(*rec, e.actor));
  if (!keys_->epochs.empty()) {
    PL_TRY(reseal_pending());
    PL_TRY(retry_sealed(now_ms));
  }
  return apply_status::applied;
}

// Secured panels: this device's own records take effect when the server has
// acknowledged them, not only when they come back in a pull, so a founding
// device is secured() as soon as its genesis is stored. Records must apply in
// server order, so one applies here only when every change the server stored
// before it is known (pulled, or ours and acknowledged); otherwise it waits
// for the pull as before. replica::acked (replica.cpp) only records the
// server_seq; every read of the keyring settles first, so nothing observes
// the keyring between an ack and its settling.
result<void> replica::settle_acked() {
  if (keys_->own_records.empty() || keys_->settling) return {};
  keys_->settling = true;
  struct done { bool& b; ~done() { b = false; } } reset{keys_->settling};
  auto sel = db_->prepare("SELECT server_seq, envelope FROM change_log WHERE actor = ?1 AND seq = ?2");
  auto known = db_->prepare("SELECT COUNT(*) FROM change_log WHERE server_seq > ?1 AND server_seq < ?2");
  if (!sel) return sel.err();
  if (!known) return known.err();
  while (!keys_->own_records.empty()) {
    std::uint64_t seq = *keys_->own_records.begin();
    (*sel)->bind(1, device_id()).bind(2, static_cast<std::int64_t>(seq));
    auto r = (*sel)->step();
    if (!r) return r.err();
    bool found = *r, stored = found && std::holds_alternative<std::int64_t>((*sel)->column(0));
    std::uint64_t server_seq = stored ? static_cast<std::uint64_t>((*sel)->column_int(0)) : 0;
    bytes env = found ? (*sel)->column_blob(1) : bytes{};
    (*sel)->reset();
    if (found && !stored) break;  // pushes and acks follow seq order: the rest are not stored either
    auto e = codec::decode_envelope(env);
    if (!found || !e || keys_->kr.applied(device_id(), seq)) {
      keys_->own_records.erase(seq);
      PL_TRY(mdel(*db_, num_key(k_own, seq, 20)));
      continue;
    }
    std::uint64_t from = cursor();  // every change up to the cursor is here
    if (keys_->unsettled == std::make_pair(seq, from)) break;  // counted already: still a gap
    if (server_seq > from + 1) {
      (*known)->bind(1, static_cast<std::int64_t>(from)).bind(2, static_cast<std::int64_t>(server_seq));
      auto n = (*known)->step();
      if (!n) return n.err();
      std::uint64_t have = static_cast<std::uint64_t>((*known)->column_int(0));
      (*known)->reset();
      if (have != server_seq - 1 - from) {  // something stored before it is not here yet
        keys_->unsettled = {seq, from};
        break;
      }
    }
    (void)apply_record(*e, env, server_seq, clock_.last().wall_ms);  // drops it from own_records either way
  }
  return {};
}

// Rules "as of" a change's place in server order: the server stores
// a change only while its device is a member, so a change it stored before
// the record that removed (or revoked) the device stays valid, even on a
// replica that applies it later: held for its epoch key, or waiting for a
// predecessor. Its server_seq comes with the retry (judging) or from the
// waiting table; a change whose server_seq is not known here is being
// applied in server order, where the current keyring is the one as of it.
// Roles are taken as the keyring has them now (a role change is rare and
// not part of this check).
// Roles likewise: a change is judged with the role its device had when the
// server stored it, so every replica judges a delayed change the same way.
std::uint64_t replica::judged_at(const envelope& e) {
  if (keys_->judging && keys_->judging->actor == e.actor && keys_->judging->seq == e.seq) return keys_->judging->server_seq;
  if (auto w = server_seq_in(*db_, "waiting", e.actor, e.seq); w && *w) return **w;
  return 0;
}

bool replica::stored_before_out(const envelope& e) {
  auto out = keys_->out_at.find(e.actor);
  if (out == keys_->out_at.end()) return false;
  std::uint64_t at = judged_at(e);
  return at != 0 && at < out->second;
}

std::string replica::role_as_of(const envelope& e, const std::string& now_role) {
  auto h = keys_->role_before.find(e.actor);
  if (h == keys_->role_before.end()) return now_role;
  std::uint64_t at = judged_at(e);
  if (at == 0) return now_role;
  for (auto& [changed_at, role] : h->second)
    if (at < changed_at) return role;
  return now_role;
}

void replica::keep_notes(const device_notes_t& n, std::uint64_t server_seq) {
  for (auto& pk : n.out) keys_->out_at.emplace(pk, server_seq);
  for (auto& [pk, role] : n.roles) keys_->role_before[pk].emplace_back(server_seq, role);
  if (n.epoch != 0) keys_->epoch_from.emplace_back(server_seq, n.epoch);
}

std::uint32_t replica::epoch_as_of(const envelope& e) {
  std::uint64_t at = judged_at(e);
  if (at == 0) return keys_->kr.epoch();  // applied in server order: the keyring is as of it
  std::uint32_t ep = 0;
  for (auto& [from, n] : keys_->epoch_from)
    if (from < at) ep = n;
  return ep;
}

std::vector<std::pair<std::uint32_t, crypto::secret>> replica::keys_for_me(const keyring::record& r) {
  std::vector<std::pair<std::uint32_t, crypto::secret>> out;
  const bytes& me = device_id();
  auto open = [&](const bytes& sealed, const crypto::box_key& box) {
    if (auto key = box.open(sealed)) out.emplace_back(r.epoch, std::move(*key));  // not for us: nothing to keep
  };
  switch (r.k) {
    case keyring::kind::epoch:
      for (auto& g : r.grants)
        if (g.device == me) open(g.sealed, keys_->box);
      break;
    case keyring::kind::grant:
      if (r.device == me) open(r.sealed, keys_->box);
      break;
    case keyring::kind::invite: {
      auto inv = meta_get(*db_, k_invite);
      if (const bytes* s = inv ? as_bytes(*inv) : nullptr) {
        crypto::secret secret(*s);
        if (invite_id_of(secret) == r.invite_id && !r.sealed.empty())
          if (auto box = crypto::box_key::derive(secret.expose())) open(r.sealed, *box);
      }
      break;
    }
    default: break;
  }
  return out;
}

result<void> replica::record_side_effects(const keyring::record& r, const bytes& /*actor*/) {
  const bytes& me = device_id();
  auto& kr = keys_->kr;
  switch (r.k) {
    case keyring::kind::epoch:
    case keyring::kind::grant:
    case keyring::kind::invite:
      for (auto& [ep, key] : keys_for_me(r))
        if (!keys_->epochs.count(ep)) PL_TRY(store_epoch_key(ep, key));
      // A device that joined while the admin's rotation was offline is not
      // in its grants: the admin's device grants it the new key now.
      if (r.k == keyring::kind::epoch && is_admin())
        for (auto& [pk, d] : kr.devices()) PL_TRY(grant_key(pk, r.epoch));
      break;
    case keyring::kind::join:
    case keyring::kind::enrol: {
      const auto* d = kr.device(r.device);
      if (!d) break;
      if (r.device == me) {
        if (r.k == keyring::kind::join) {
          // The invite's key is ours now (or the admin grants it); the secret is spent.
          auto s = db_->prepare("DELETE FROM meta WHERE key = ?1");
          if (!s) return s.err();
          PL_TRY((*s)->bind(1, k_invite).run());
        }
        // The member's first device makes the member key.
        if (!keys_->members.count(d->member) && kr.devices(d->member).size() == 1) {
          crypto::secret mk = crypto::secret::random(crypto::aead_key_bytes);
          PL_TRY(meta_set(*db_, std::string(k_member) + to_hex(d->member), mk.expose()));
          keys_->members[d->member] = mk;
        }
        break;
      }
      // Another device: the admin grants it the epochs its invite did not
      // carry; a device of the same member shares the member key.
      if (is_admin() && r.k == keyring::kind::join) {
        // Every epoch so far: a new member reads the panel's history (the
        // packs were published before they joined).
        std::vector<std::uint32_t> held;
        for (auto& [ep, key] : keys_->epochs) held.push_back(ep);
        for (std::uint32_t ep : held) PL_TRY(grant_key(r.device, ep));
      }
      auto mine = kr.device(me);
      if (mine && !mine->revoked && mine->member == d->member) {
        auto mk = keys_->members.find(d->member);
        if (mk != keys_->members.end()) {
          keyring::record m;
          m.k = keyring::kind::member_key;
          m.member = d->member;
          m.device = r.device;
          auto sealed = crypto::seal_to(d->xpk, mk->second);
          if (!sealed) return sealed.err();
          m.sealed = std::move(*sealed);
          auto c = commit_record(std::move(m), clock_.last().wall_ms);
          if (!c) return c.err();
        }
      }
      break;
    }
    case keyring::kind::key_request:
      if (is_admin()) PL_TRY(grant_key(r.device, r.epoch));
      break;
    case keyring::kind::member_key:
      if (r.device == me && !keys_->members.count(r.member)) {
        auto mk = keys_->box.open(r.sealed);
        if (mk) {
          PL_TRY(meta_set(*db_, std::string(k_member) + to_hex(r.member), mk->expose()));
          keys_->members[r.member] = *mk;
        }
      }
      break;
    case keyring::kind::remove:
    case keyring::kind::revoke: {
      const auto* d = kr.device(me);
      if (d && d->revoked) {
        // This device is out: it keeps nothing that opens the panel's data.
        PL_TRY(mdel_prefix(*db_, k_epoch));
        PL_TRY(mdel_prefix(*db_, k_member));
        keys_->epochs.clear();
        keys_->members.clear();
      }
      break;
    }
    default: break;
  }
  return {};
}

}  // namespace packline
