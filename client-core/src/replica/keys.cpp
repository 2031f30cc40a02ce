// Secured panels inside the replica: the keyring state replayed from the
// image, sealing and opening change payloads per epoch, and the checks every
// replica makes on a remote change (member device, epoch, the panel's rules).
// Secrets live in the replica's meta table (the image is sealed at rest) and,
// unwrapped, in replica::keys; nothing here logs. Same threading as replica.
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

// What a record changes of devices, read before it applies: the devices a
// remove/revoke takes out, and the roles a role record ends.
replica::device_notes_t replica::device_notes(const keyring::state& kr, const keyring::record& r) {
  device_notes_t n;
  if (r.k == keyring::kind::revoke) n.out.push_back(r.device);
  if (r.k == keyring::kind::remove)
    for (auto& [pk, d] : kr.devices(r.member)) n.out.push_back(pk);
  if (r.k == keyring::kind::role)
    for (auto& [pk, d] : kr.devices(r.member)) n.roles.emplace_back(pk, d.role);
  if (r.k == keyring::kind::epoch) n.epoch = r.epoch;
  return n;
}
// ---- state ------------------------------------------------------------------

result<void> replica::load_keys() {
  keys_ = std::make_unique<keys>();
  {
    crypto::secret seed(key_.seed());
    auto box = crypto::box_key::derive(seed.expose());
    if (!box) return box.err();
    keys_->box = std::move(*box);
  }
  bytes sp = space();
  auto log = mlist(*db_, k_log);
  if (!log) return log.err();
  for (auto& [k, v] : *log) {
    const bytes* env = as_bytes(v);
    auto e = env ? codec::decode_envelope(*env) : result<envelope>(make_error(errc::malformed));
    auto rec = e ? codec::decode_keyring(e->payload) : result<keyring::record>(e.err());
    if (!rec) return make_error(errc::corrupt_replica, "the stored keyring of this panel is damaged");
    auto notes = device_notes(keys_->kr, *rec);
    if (!keys_->kr.apply(sp, *rec, e->actor, e->seq, keys_->log_size == 0))
      return make_error(errc::corrupt_replica, "the stored keyring of this panel is damaged");
    ++keys_->log_size;
    if (!notes.out.empty() || !notes.roles.empty() || notes.epoch != 0) {
      auto at = server_seq_in(*db_, "change_log", e->actor, e->seq);
      if (!at) return at.err();
      keep_notes(notes, at->value_or(0));
    }
  }
  auto own = mlist(*db_, k_own);
  if (!own) return own.err();
  for (auto& [k, v] : *own) keys_->own_records.insert(std::stoull(k.substr(k_own.size())));
  auto eps = mlist(*db_, k_epoch);
  if (!eps) return eps.err();
  for (auto& [k, v] : *eps)
    if (const bytes* b = as_bytes(v))
      keys_->epochs[static_cast<std::uint32_t>(std::stoul(k.substr(k_epoch.size())))] = crypto::secret(*b);
  auto mks = mlist(*db_, k_member);
  if (!mks) return mks.err();
  for (auto& [k, v] : *mks)
    if (const bytes* b = as_bytes(v)) keys_->members[from_hex(k.substr(k_member.size()))] = crypto::secret(*b);
  auto admin = meta_get(*db_, k_admin);
  if (!admin) return admin.err();
  if (const bytes* b = as_bytes(*admin)) {
    auto a = crypto::signing_key::from_seed(*b);
    if (!a) return make_error(errc::corrupt_replica, "the stored admin key is damaged");
    keys_->admin = std::move(*a);
  }
  return {};
}

// The keyring reads settle what the server acknowledged first (settle_acked):
// a replica is never const-constructed, and settling only applies records the
// server has already ordered, so the answer is the same as right after the ack.
bool replica::secured() const {
  (void)const_cast<replica*>(this)->settle_acked();
  return keys_->kr.secured();
}
bool replica::is_admin() const { return keys_->admin.has_value(); }
const keyring::state& replica::keyring() const {
  (void)const_cast<replica*>(this)->settle_acked();
  return keys_->kr;
}
std::uint32_t replica::write_epoch() const { return keys_->epochs.empty() ? 0 : keys_->epochs.rbegin()->first; }
bool replica::locked() { return keys_->locked; }

bytes replica::my_member() const {
  (void)const_cast<replica*>(this)->settle_acked();
  if (auto d = keys_->kr.device(device_id())) return d->member;
  auto v = meta_get(*db_, k_self_member);
  return v && as_bytes(*v) ? *as_bytes(*v) : bytes{};
}

std::string replica::my_role() const {
  (void)const_cast<replica*>(this)->settle_acked();
  if (auto d = keys_->kr.device(device_id())) return d->role;
  auto v = meta_get(*db_, k_self_role);
  return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : std::string{};
}

result<void> replica::store_epoch_key(std::uint32_t epoch, const crypto::secret& k) {
  PL_TRY(meta_set(*db_, num_key(k_epoch, epoch, 10), k.expose()));
  keys_->epochs[epoch] = k;
  return {};
}

// ---- sealing and opening changes ------------------------------------------

result<void> replica::seal_change(envelope& e, bytes body) {
  PL_TRY(settle_acked());
  if (keys_->locked) return make_error(errc::lease_expired);
  std::uint32_t ep = write_epoch();
  if (ep == 0) {
    auto inv = meta_get(*db_, k_invite);
    if (secured() || is_admin() || (inv && as_bytes(*inv)))
      return make_error(errc::no_key, "this device has not received the panel's key yet; sync first");
    e.epoch = 0;
    e.payload = std::move(body);
    crypto::sign_envelope(e, key_);
    return {};
  }
  e.epoch = ep;
  return crypto::seal_envelope(e, body, keys_->epochs.at(ep), key_);
}

result<change_body> replica::open_change(const envelope& e) {
  PL_TRY(settle_acked());
  const auto& kr = keys_->kr;
  if (kr.secured()) {
    if (auto w = kr.may_write(e.actor); !w && !stored_before_out(e))
      return refused("change " + std::to_string(e.seq) + " of device " + to_hex(e.actor.data(), 4) + " refused: " +
                     w.err().message);
    if (e.epoch == 0) return refused("an unsealed change in a secured panel");
    if (e.epoch > kr.epoch())
      return refused("wrong epoch: change sealed under epoch " + std::to_string(e.epoch) + ", the panel is at epoch " +
                     std::to_string(kr.epoch()));
    // A superseded key is retired: a change stored after the next epoch
    // began is refused (a removed member holds the old key).
    if (std::uint32_t at = epoch_as_of(e); e.epoch < at)
      return refused("change " + std::to_string(e.seq) + " is sealed under epoch " + std::to_string(e.epoch) +
                     ", superseded by epoch " + std::to_string(at) + " when the server stored it");
  }
  if (e.epoch == 0) return codec::decode_body(e.payload, e.actor);
  auto k = keys_->epochs.find(e.epoch);
  if (k == keys_->epochs.end())
    return make_error(errc::no_key, "no key for epoch " + std::to_string(e.epoch) + " on this device");
  auto pt = crypto::open_envelope(e, k->second);
  if (!pt) return refused("a change does not open with the key of its epoch");
  auto body = codec::decode_body(*pt, e.actor);
  crypto::secret wipe(std::move(*pt));
  return body;
}

result<void> replica::record_refused(const envelope& e, const bytes& env_bytes, std::uint64_t server_seq) {
  // Known (so the device's later changes are not blocked), never applied:
  // not in heads, no registers. hlc 0 keeps it out of the clock.
  auto s = db_->prepare("INSERT OR IGNORE INTO change_log(actor, seq, hlc_wall, hlc_counter, envelope, server_seq) VALUES(?1,?2,0,0,?3,?4)");
  if (!s) return s.err();
  return (*s)->bind(1, e.actor).bind(2, static_cast<std::int64_t>(e.seq)).bind(3, env_bytes)
      .bind(4, static_cast<std::int64_t>(server_seq)).run();
}

result<void> replica::hold_sealed(const envelope&, const bytes& env_bytes, std::uint64_t server_seq) {
  return meta_set(*db_, num_key(k_nokey, server_seq, 20), env_bytes);
}

result<void> replica::retry_sealed(std::uint64_t now_ms) {
  auto held = mlist(*db_, k_nokey);
  if (!held) return held.err();
  for (auto& [k, v] : *held) {
    const bytes* env = as_bytes(v);
    std::uint64_t server_seq = std::stoull(k.substr(k_nokey.size()));
    bytes copy = env ? *env : bytes{};
    PL_TRY(mdel(*db_, k));
    if (copy.empty()) continue;
    // open_change/check_remote judge it as of its place in server order.
    auto e = codec::decode_envelope(copy);
    if (e) keys_->judging = keys::judged{e->actor, e->seq, server_seq};
    (void)apply(copy, server_seq, now_ms);  // held again if still no key; refusals are final
    keys_->judging.reset();
  }
  return {};
}

result<void> replica::reseal_pending() {
  std::uint32_t ep = write_epoch();
  if (ep == 0) return {};
  struct item { std::uint64_t seq; bytes env; };
  std::vector<item> todo;
  auto s = db_->prepare("SELECT seq, envelope FROM change_log WHERE actor = ?1 AND server_seq IS NULL ORDER BY seq");
  if (!s) return s.err();
  (*s)->bind(1, device_id());
  PL_TRY(each_row(*s, [&](stmt& st) { todo.push_back({static_cast<std::uint64_t>(st.column_int(0)), st.column_blob(1)}); }));
  auto up = db_->prepare("UPDATE change_log SET envelope = ?3 WHERE actor = ?1 AND seq = ?2 AND server_seq IS NULL");
  if (!up) return up.err();
  for (auto& it : todo) {
    auto e = codec::decode_envelope(it.env);
    if (!e || e->epoch == keyring::record_epoch || e->epoch == 0 || e->epoch >= ep) continue;
    auto k = keys_->epochs.find(e->epoch);
    if (k == keys_->epochs.end()) continue;
    auto pt = crypto::open_envelope(*e, k->second);
    if (!pt) continue;
    // Not yet on the server: re-sealed under the newest epoch, so a member
    // removed meanwhile cannot read what this device wrote offline.
    e->epoch = ep;
    PL_TRY(crypto::seal_envelope(*e, *pt, keys_->epochs.at(ep), key_));
    crypto::secret wipe(std::move(*pt));
    PL_TRY((*up)->bind(1, device_id()).bind(2, static_cast<std::int64_t>(it.seq)).bind(3, codec::encode_envelope(*e)).run());
  }
  return {};
}

// ---- the panel's rules on apply ---------------------------------------------

result<void> replica::check_remote(const envelope& e, const change_body& body) {
  const auto& kr = keys_->kr;
  if (!kr.secured()) return {};  // an open panel has no verified roles to check against
  PL_TRY(flush_rows());  // the rules read the tables
  const keyring::device_info* d = kr.device(e.actor);
  if (!d || (d->revoked && !stored_before_out(e))) return refused("change by a device that is not a member");
  // Every keyring record its writer had seen was stored before the change,
  // so it is here by now (records are never undone): if not, the server is
  // keeping one from this device.
  if (body.keyring > kr.length())
    return refused("change " + std::to_string(e.seq) + " of device " + to_hex(e.actor.data(), 4) + " was written after " +
                   std::to_string(body.keyring) + " records of the panel's keyring, but the server has sent this tablet only " +
                   std::to_string(kr.length()) + ": it is withholding a record (a removal, a role or a new key). Tell the clerk");

  std::string role_name = role_as_of(e, d->role);
  rules::role role = rules::parse_role(role_name);
  // What the rules need of a row before this change: does it exist, and its
  // author (or a priority's leads). One small query per row, not rows():
  // this runs for every remote change (bench/run crypto, sync_path).
  struct known_row { bool exists = false; bytes author, priority; std::string leads; };
  std::map<std::pair<std::string, bytes>, known_row> cache;
  auto find = [&](const std::string& table, const bytes& id) -> const known_row& {
    auto key = std::make_pair(table, id);
    auto it = cache.find(key);
    if (it == cache.end()) {
      known_row k;
      // Table and column names are constants of this file, never input. A
      // deleted row counts: it still names its author, who alone restores it.
      const char* col = table == "priority" ? "leads" : rules::author_field(table) ? rules::author_field(table) : "id";
      auto st = db_->prepare("SELECT \"" + std::string(col) + "\", " + (table == "kloe" ? "priority" : "NULL") + " FROM \"" +
                             table + "\" WHERE id = ?1");
      if (st) {
        (*st)->bind(1, id);
        auto r = (*st)->step();
        if (r && *r) {
          k.exists = true;
          value v = (*st)->column(0);
          if (std::holds_alternative<bytes>(v)) k.author = std::get<bytes>(v);
          if (std::holds_alternative<std::string>(v)) k.leads = std::get<std::string>(v);
          if (value p = (*st)->column(1); std::holds_alternative<bytes>(p)) k.priority = std::get<bytes>(p);
        }
        (*st)->reset();
      }
      it = cache.emplace(key, std::move(k)).first;
    }
    return it->second;
  };
  for (const op& o : body.ops) {
    rules::row_change c;
    c.table = o.table;
    c.row = o.row;
    c.field = o.field;
    c.val = o.val;
    c.actor = d->member;
    c.panel_has_clerk = true;  // roles come from the admin-signed keyring, never self-assigned
    const char* af = rules::author_field(o.table);
    c.names_author = af && rules::sets_field(body.ops, o.table, o.row, af);
    if (af || o.table == "member") {
      auto& r = find(o.table, o.row);
      c.row_exists = r.exists;
      if (af) c.row_author = r.author;
    }
    if (o.table == "kloe") {
      bytes pri = rules::kloe_priority(find("kloe", o.row).priority, body.ops, o.row);
      if (!pri.empty()) c.leads = rules::lead_ids(find("priority", pri).leads);
    }
    if (o.table == "member" && o.field == "role" && role != rules::role::clerk && !rules::chairs(role))
      return refused("change " + std::to_string(e.seq) + " refused: only the clerk or the chair records roles");
    if (auto r = rules::check(c, role); !r)
      return refused("change " + std::to_string(e.seq) + " by a " + role_name + " refused: " + r.err().message);
  }
  return {};
}

}  // namespace packline
