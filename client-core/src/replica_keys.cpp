// Secured panels inside the replica: keyring records in the change stream, sealing
// and opening change payloads per epoch, the checks every replica makes on a
// remote change (member device, epoch, the panel's rules), member keys for
// private content, the offline lease and the sealed image at rest.
// Secrets live in the replica's meta table (the image is sealed at rest) and,
// unwrapped, in replica::keys; nothing here logs. Same threading as replica.
#include <algorithm>
#include <cstdio>
#include <optional>

#include "db.hpp"
#include "packline/codec.hpp"
#include "packline/limits.hpp"
#include "packline/protocol.hpp"
#include "packline/rules.hpp"
#include "replica_keys.hpp"

namespace packline {
namespace {

// meta keys of this module
constexpr std::string_view k_log = "kr:";               // + 20-digit position: keyring record envelopes, in apply order
constexpr std::string_view k_epoch = "key:epoch:";      // + 10-digit epoch: space key
constexpr std::string_view k_member = "key:member:";    // + member hex: member key
constexpr std::string_view k_admin = "key:admin";       // admin key seed (founding device)
constexpr std::string_view k_invite = "key:invite";     // invite secret until this device's join is applied
constexpr std::string_view k_self_member = "self:member";
constexpr std::string_view k_self_role = "self:role";
constexpr std::string_view k_contact = "lease:contact";  // last welcome from the server (ms)
constexpr std::string_view k_nokey = "nokey:";          // + 20-digit server_seq: changes held for their epoch key
constexpr std::string_view k_own = "krown:";            // + 20-digit seq: our keyring records not applied yet
constexpr std::string_view k_asked = "key:asked";       // the last epoch this device asked the admin for
constexpr std::string_view private_magic = "PLP1";
// The role whose devices publish a secured panel's snapshots (see can_snapshot).
const std::string publisher_role = "clerk";

std::string num_key(std::string_view prefix, std::uint64_t n, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llu", width, static_cast<unsigned long long>(n));
  return std::string(prefix) + buf;
}


result<void> mdel(db& d, const std::string& key) {
  auto s = d.prepare("DELETE FROM meta WHERE key = ?1");
  if (!s) return s.err();
  return (*s)->bind(1, std::string_view(key)).run();
}

result<void> mdel_prefix(db& d, std::string_view prefix) {
  auto s = d.prepare("DELETE FROM meta WHERE substr(key, 1, length(?1)) = ?1");
  if (!s) return s.err();
  return (*s)->bind(1, prefix).run();
}

result<std::vector<std::pair<std::string, value>>> mlist(db& d, std::string_view prefix) {
  std::vector<std::pair<std::string, value>> out;
  auto s = d.prepare("SELECT key, value FROM meta WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key");
  if (!s) return s.err();
  (*s)->bind(1, prefix);
  for (;;) {
    auto r = (*s)->step();
    if (!r) return r.err();
    if (!*r) break;
    out.emplace_back((*s)->column_text(0), (*s)->column(1));
  }
  (*s)->reset();
  return out;
}

const bytes* as_bytes(const value& v) { return std::holds_alternative<bytes>(v) ? &std::get<bytes>(v) : nullptr; }

bytes invite_id_of(const crypto::secret& s) { return crypto::keyed_hash(s, "packline-invite-id-v1", 16); }

error refused(std::string why) { return make_error(errc::forbidden, std::move(why)); }


// What a record changes of devices, read before it applies: the devices a
// remove/revoke takes out, and the roles a role record ends.
}  // namespace

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

namespace {

result<std::optional<std::uint64_t>> server_seq_in(db& d, const char* table, const bytes& actor, std::uint64_t seq) {
  // Table names are constants of this file, never input.
  auto s = d.prepare(std::string("SELECT server_seq FROM ") + table + " WHERE actor = ?1 AND seq = ?2");
  if (!s) return s.err();
  (*s)->bind(1, actor).bind(2, static_cast<std::int64_t>(seq));
  auto r = (*s)->step();
  if (!r) return r.err();
  std::optional<std::uint64_t> out;
  if (*r && std::holds_alternative<std::int64_t>((*s)->column(0))) out = static_cast<std::uint64_t>((*s)->column_int(0));
  (*s)->reset();
  return out;
}

}  // namespace

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
  for (;;) {
    auto r = (*s)->step();
    if (!r) return r.err();
    if (!*r) break;
    todo.push_back({static_cast<std::uint64_t>((*s)->column_int(0)), (*s)->column_blob(1)});
  }
  (*s)->reset();
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

// ---- founding, invites, removal ---------------------------------------------

result<void> replica::found_space(const bytes& space16, const bytes& member, const std::string& role, std::uint64_t now_ms) {
  if (next_seq_ != 1 || !space().empty()) return make_error(errc::bad_state, "a panel is founded on a new device");
  if (member.size() != 16 || rules::parse_role(role) == rules::role::none)
    return make_error(errc::invalid_argument, "the founder needs a member id and a role");
  PL_TRY(set_space(space16));
  crypto::signing_key admin = crypto::signing_key::generate();
  {
    crypto::secret seed(admin.seed());
    PL_TRY(meta_set(*db_, k_admin, seed.expose()));
  }
  keys_->admin = admin;
  PL_TRY(meta_set(*db_, k_self_member, member));
  PL_TRY(meta_set(*db_, k_self_role, role));
  PL_TRY(meta_set(*db_, k_contact, static_cast<std::int64_t>(now_ms)));

  keyring::record g;
  g.k = keyring::kind::genesis;
  g.admin_pk = admin.public_key();
  g.lease_ms = keyring::default_lease_ms;
  if (auto c = commit_admin(std::move(g), now_ms); !c) return c.err();

  keyring::record en;
  en.k = keyring::kind::enrol;
  en.member = member;
  en.role = role;
  en.device = device_id();
  en.xpk = keys_->box.public_key();
  if (auto c = commit_admin(std::move(en), now_ms); !c) return c.err();

  crypto::secret key = crypto::secret::random(crypto::aead_key_bytes);
  keyring::record ep;
  ep.k = keyring::kind::epoch;
  ep.epoch = 1;
  auto sealed = crypto::seal_to(keys_->box.public_key(), key);
  if (!sealed) return sealed.err();
  ep.grants.push_back({device_id(), std::move(*sealed)});
  if (auto c = commit_admin(std::move(ep), now_ms); !c) return c.err();
  PL_TRY(store_epoch_key(1, key));

  crypto::secret mk = crypto::secret::random(crypto::aead_key_bytes);
  PL_TRY(meta_set(*db_, std::string(k_member) + to_hex(member), mk.expose()));
  keys_->members[member] = mk;
  return {};
}

result<std::string> replica::create_invite(const bytes& member, const std::string& role, std::uint64_t now_ms,
                                           std::uint64_t ttl_ms) {
  if (!is_admin()) return make_error(errc::bad_state, "only the panel's admin device (the clerk's) creates invites");
  if (member.size() != 16 || rules::parse_role(role) == rules::role::none)
    return make_error(errc::invalid_argument, "an invite needs a member id and a role");
  std::uint32_t ep = write_epoch();
  if (ep == 0) return make_error(errc::no_key);
  keyring::invite_code code{space(), crypto::secret::random(32)};
  auto ik = crypto::signing_key::from_seed(code.secret.expose());
  auto ib = crypto::box_key::derive(code.secret.expose());
  if (!ik) return ik.err();
  if (!ib) return ib.err();
  keyring::record r;
  r.k = keyring::kind::invite;
  r.invite_id = invite_id_of(code.secret);
  r.invite_pk = ik->public_key();
  r.member = member;
  r.role = role;
  r.expires_ms = now_ms + ttl_ms;
  r.epoch = ep;
  auto sealed = crypto::seal_to(ib->public_key(), keys_->epochs.at(ep));
  if (!sealed) return sealed.err();
  r.sealed = std::move(*sealed);
  if (auto c = commit_admin(std::move(r), now_ms); !c) return c.err();
  return keyring::format_invite(code);
}

result<void> replica::redeem_invite(const std::string& code_text, std::uint64_t now_ms) {
  auto code = keyring::parse_invite(code_text);
  if (!code) return code.err();
  if (next_seq_ != 1) return make_error(errc::bad_state, "an invite is redeemed on a new device");
  PL_TRY(set_space(code->space));
  PL_TRY(meta_set(*db_, k_invite, code->secret.expose()));
  PL_TRY(meta_set(*db_, k_contact, static_cast<std::int64_t>(now_ms)));
  auto ik = crypto::signing_key::from_seed(code->secret.expose());
  if (!ik) return ik.err();
  keyring::record r;
  r.k = keyring::kind::join;
  r.invite_id = invite_id_of(code->secret);
  r.device = device_id();
  r.xpk = keys_->box.public_key();
  r.at_ms = now_ms;
  keyring::sign(r, code->space, *ik);
  if (auto c = commit_record(std::move(r), now_ms); !c) return c.err();
  return {};
}

bool replica::joining() {
  (void)settle_acked();
  auto inv = meta_get(*db_, k_invite);
  return inv && as_bytes(*inv) && !keys_->kr.device(device_id());
}

result<void> replica::rotate(std::uint64_t now_ms, const bytes& without_member, const bytes& without_device) {
  crypto::secret key = crypto::secret::random(crypto::aead_key_bytes);
  keyring::record ep;
  ep.k = keyring::kind::epoch;
  ep.epoch = std::max(write_epoch(), keys_->kr.epoch()) + 1;
  bool me_listed = false;
  for (auto& [pk, d] : keys_->kr.devices()) {
    if (d.member == without_member || pk == without_device) continue;
    auto sealed = crypto::seal_to(d.xpk, key);
    if (!sealed) return sealed.err();
    ep.grants.push_back({pk, std::move(*sealed)});
    me_listed = me_listed || pk == device_id();
  }
  if (!me_listed) {
    auto sealed = crypto::seal_to(keys_->box.public_key(), key);
    if (!sealed) return sealed.err();
    ep.grants.push_back({device_id(), std::move(*sealed)});
  }
  std::uint32_t n = ep.epoch;
  if (auto c = commit_admin(std::move(ep), now_ms); !c) return c.err();
  return store_epoch_key(n, key);
}

result<void> replica::grant_key(const bytes& device, std::uint32_t epoch) {
  const auto& kr = keys_->kr;
  const auto* d = kr.device(device);
  auto key = keys_->epochs.find(epoch);
  if (!d || d->revoked || epoch > kr.epoch() || key == keys_->epochs.end() || kr.has_key(device, epoch)) return {};
  keyring::record g;
  g.k = keyring::kind::grant;
  g.epoch = epoch;
  g.device = device;
  auto sealed = crypto::seal_to(d->xpk, key->second);
  if (!sealed) return sealed.err();
  g.sealed = std::move(*sealed);
  auto c = commit_admin(std::move(g), clock_.last().wall_ms);
  if (!c) return c.err();
  return {};
}

bool replica::waiting_for_key() {
  if (!secured() || keys_->locked || joining()) return false;
  const auto* me = keys_->kr.device(device_id());
  return me && !me->revoked && keys_->kr.epoch() > 0 && !keys_->epochs.count(keys_->kr.epoch());
}

result<void> replica::tend_keys(std::uint64_t now_ms) {
  if (!secured() || keys_->locked) return {};
  const auto& kr = keys_->kr;
  if (is_admin()) {
    if (write_epoch() == kr.epoch() && kr.invite_key_spent(kr.epoch(), now_ms)) return rotate(now_ms, {}, {});
    return {};
  }
  if (!waiting_for_key() || kr.has_key(device_id(), kr.epoch())) return {};
  auto asked = meta_get(*db_, k_asked);
  if (!asked) return asked.err();
  if (std::holds_alternative<std::int64_t>(*asked) && std::get<std::int64_t>(*asked) >= kr.epoch()) return {};
  keyring::record r;
  r.k = keyring::kind::key_request;
  r.device = device_id();
  r.epoch = kr.epoch();
  if (auto c = commit_record(std::move(r), now_ms); !c) return c.err();
  return meta_set(*db_, k_asked, static_cast<std::int64_t>(kr.epoch()));
}

result<void> replica::restamp_join(std::uint64_t server_ms) {
  auto inv = meta_get(*db_, k_invite);
  if (!inv) return inv.err();
  const bytes* secret = as_bytes(*inv);
  if (!secret) return {};
  auto sel = db_->prepare("SELECT seq, envelope FROM change_log WHERE actor = ?1 AND server_seq IS NULL ORDER BY seq");
  if (!sel) return sel.err();
  (*sel)->bind(1, device_id());
  std::optional<envelope> join;
  keyring::record rec;
  for (;;) {
    auto r = (*sel)->step();
    if (!r) return r.err();
    if (!*r) break;
    auto e = codec::decode_envelope((*sel)->column_blob(1));
    if (!e || e->epoch != keyring::record_epoch) continue;
    auto k = codec::decode_keyring(e->payload);
    if (k && k->k == keyring::kind::join) {
      join = std::move(*e);
      rec = std::move(*k);
      break;
    }
  }
  (*sel)->reset();
  if (!join || rec.at_ms == server_ms) return {};
  crypto::secret s(*secret);
  auto ik = crypto::signing_key::from_seed(s.expose());
  if (!ik) return ik.err();
  rec.at_ms = server_ms;
  keyring::sign(rec, join->space, *ik);
  join->payload = codec::encode_keyring(rec);
  crypto::sign_envelope(*join, key_);
  auto up = db_->prepare("UPDATE change_log SET envelope = ?3 WHERE actor = ?1 AND seq = ?2 AND server_seq IS NULL");
  if (!up) return up.err();
  return (*up)->bind(1, device_id()).bind(2, static_cast<std::int64_t>(join->seq)).bind(3, codec::encode_envelope(*join)).run();
}

result<void> replica::remove_member(const bytes& member, std::uint64_t now_ms) {
  if (!is_admin()) return make_error(errc::bad_state, "only the panel's admin device removes members");
  if (member.size() != 16) return make_error(errc::invalid_argument, "a member id is 16 bytes");
  keyring::record r;
  r.k = keyring::kind::remove;
  r.member = member;
  if (auto c = commit_admin(std::move(r), now_ms); !c) return c.err();
  return rotate(now_ms, member, {});
}

result<void> replica::revoke_device(const bytes& device, std::uint64_t now_ms) {
  if (!is_admin()) return make_error(errc::bad_state, "only the panel's admin device revokes devices");
  if (device.size() != 32) return make_error(errc::invalid_argument, "a device id is 32 bytes");
  keyring::record r;
  r.k = keyring::kind::revoke;
  r.device = device;
  if (auto c = commit_admin(std::move(r), now_ms); !c) return c.err();
  return rotate(now_ms, {}, device);
}

result<void> replica::set_lease(std::uint64_t lease_ms, std::uint64_t now_ms) {
  if (!is_admin()) return make_error(errc::bad_state, "only the panel's admin device sets the offline lease");
  if (lease_ms == 0) return make_error(errc::invalid_argument, "a lease must be longer than zero");
  keyring::record r;
  r.k = keyring::kind::lease;
  r.lease_ms = lease_ms;
  auto c = commit_admin(std::move(r), now_ms);
  if (!c) return c.err();
  return {};
}

result<void> replica::set_member_role(const bytes& member, const std::string& role, std::uint64_t now_ms) {
  if (!is_admin()) return make_error(errc::bad_state, "only the panel's admin device changes roles");
  if (member.size() != 16 || rules::parse_role(role) == rules::role::none)
    return make_error(errc::invalid_argument, "unknown member or role");
  keyring::record r;
  r.k = keyring::kind::role;
  r.member = member;
  r.role = role;
  auto c = commit_admin(std::move(r), now_ms);
  if (!c) return c.err();
  return {};
}

// ---- snapshot blobs (protocol v3) ---------------------------------------------

void replica::judge_at(const envelope& e, std::uint64_t server_seq) {
  // (actor, seq) has one server_seq, so a stale value is never wrong.
  keys_->judging = keys::judged{e.actor, e.seq, server_seq};
}

bool replica::holds_no_data() {
  if (cursor() != 0 || waiting_count() != 0) return false;
  auto held = mlist(*db_, k_nokey);
  if (!held || !held->empty()) return false;
  auto s = db_->prepare("SELECT envelope FROM change_log");
  if (!s) return false;
  bool only_records = true;
  for (;;) {
    auto r = (*s)->step();
    if (!r || !*r) {
      only_records = only_records && r.ok();
      break;
    }
    auto e = codec::decode_envelope((*s)->column_blob(0));
    if (!e || e->epoch != keyring::record_epoch) {
      only_records = false;
      break;
    }
  }
  (*s)->reset();
  return only_records;
}

bool replica::can_snapshot() {
  if (!settle_acked() || keys_->locked || joining()) return false;
  auto held = mlist(*db_, k_nokey);
  if (!held || !held->empty()) return false;  // the image would miss a change below the cursor
  if (keys_->kr.secured()) {
    // A new tablet believes a snapshot whole, so only the clerk's devices
    // publish one (start_from_blob refuses any other signer).
    const auto* me = keys_->kr.device(device_id());
    return me && me->role == publisher_role && keys_->epochs.count(keys_->kr.epoch()) > 0;
  }
  return write_epoch() == 0;  // a founder before its genesis is stored holds a key but is not secured yet
}

result<bytes> replica::snapshot_blob() {
  if (!can_snapshot()) return make_error(errc::bad_state, "this device cannot make a snapshot of the panel now");
  auto image = snapshot();
  if (!image) return image.err();
  if (image->size() > limits::max_replica_snapshot_bytes)
    return make_error(errc::too_large, "the panel's snapshot is larger than max_replica_snapshot_bytes");
  packline::snapshot_blob b;
  b.space = space();
  b.cursor = cursor();
  const crypto::secret* key = nullptr;
  if (keys_->kr.secured()) {
    b.epoch = keys_->kr.epoch();
    key = &keys_->epochs.at(b.epoch);
  }
  auto sealed = crypto::seal_snapshot(b, *image, key, key_);
  crypto::secret wipe(std::move(*image));
  if (!sealed) return sealed.err();
  return codec::encode_snapshot_blob(b);
}

result<std::uint64_t> replica::start_from_blob(const bytes& blob_bytes, const std::vector<proto::stored_change>& records,
                                               std::uint64_t now_ms) {
  auto blob = codec::decode_snapshot_blob(blob_bytes);
  if (!blob) return make_error(errc::malformed, "the snapshot is damaged or of an older format (" + blob.err().message + ")");
  PL_TRY(crypto::verify_snapshot(*blob));
  bytes sp = space();
  if (!sp.empty() && blob->space != sp) return make_error(errc::wrong_space, "the snapshot is of another panel");
  if (blob->cursor == 0) return make_error(errc::malformed, "the snapshot names no cursor");
  if (keys_->log_size != 0 || !holds_no_data()) return make_error(errc::bad_state, "a snapshot only starts an empty replica");

  // The keyring as of the snapshot's cursor, in memory: nothing is applied
  // to this replica before the snapshot has passed every check.
  keyring::state kr;
  std::vector<const proto::stored_change*> upto;
  std::vector<keyring::record> later;
  std::uint64_t prev = 0;
  for (auto& c : records) {
    auto e = codec::decode_envelope(c.envelope);
    if (!e || c.server_seq <= prev || e->space != blob->space || e->epoch != keyring::record_epoch || !crypto::verify_envelope(*e))
      return make_error(errc::malformed, "the server's keyring records are damaged or out of order");
    prev = c.server_seq;
    auto rec = codec::decode_keyring(e->payload);
    if (!rec) return make_error(errc::malformed, "the server's keyring records are damaged");
    if (c.server_seq <= blob->cursor) {
      // One that does not apply is skipped, as apply_record does in server order.
      (void)kr.apply(blob->space, *rec, e->actor, e->seq, c.server_seq == 1);
      upto.push_back(&c);
    } else if (kr.secured() && crypto::verify(kr.admin_pk(), keyring::signed_bytes(blob->space, *rec), rec->sig)) {
      later.push_back(std::move(*rec));  // only its keys are used; it applies in the tail pull
    }
  }
  auto invite = meta_get(*db_, k_invite);
  bool invited = invite && as_bytes(*invite);
  if (kr.secured()) {
    std::string signer = "device " + to_hex(bytes(blob->device.begin(), blob->device.begin() + 4));
    const auto* d = kr.device(blob->device);
    if (!d || d->revoked) return refused("the snapshot is signed by " + signer + ", which was not a device of the panel at the snapshot's cursor");
    if (d->role != publisher_role)
      return refused("the snapshot is signed by " + signer + ", a " + d->role + "'s; only the clerk's devices publish snapshots");
    // A snapshot is trusted whole, so not from a device taken out since
    // (a lost tablet may have uploaded before it was revoked).
    for (auto& rec : later)
      if ((rec.k == keyring::kind::revoke && rec.device == blob->device) || (rec.k == keyring::kind::remove && rec.member == d->member))
        return refused("the snapshot is signed by " + signer + ", which has since been removed from the panel");
    if (blob->epoch == 0 || blob->epoch > kr.epoch())
      return refused("the snapshot is sealed under epoch " + std::to_string(blob->epoch) + ", but the panel was at epoch " +
                     std::to_string(kr.epoch()) + " at its cursor");
  } else if (blob->epoch != 0 || invited) {
    return refused("a snapshot of a secured panel came without the panel's keyring");
  }

  // The epoch's key: held already, or sealed to this device (or its invite)
  // in a keyring record.
  std::map<std::uint32_t, crypto::secret> found;
  for (auto* c : upto) {
    auto e = codec::decode_envelope(c->envelope);
    auto rec = codec::decode_keyring(e->payload);
    if (rec && kr.applied(e->actor, e->seq))
      for (auto& [ep, key] : keys_for_me(*rec)) found.try_emplace(ep, std::move(key));
  }
  for (auto& rec : later)
    for (auto& [ep, key] : keys_for_me(rec)) found.try_emplace(ep, std::move(key));
  bytes image;
  if (blob->epoch == 0) {
    image = std::move(blob->body);
  } else {
    const crypto::secret* key = nullptr;
    if (auto k = keys_->epochs.find(blob->epoch); k != keys_->epochs.end()) key = &k->second;
    else if (auto f = found.find(blob->epoch); f != found.end()) key = &f->second;
    if (!key)
      return make_error(errc::no_key, "this device has not been given the key of epoch " + std::to_string(blob->epoch) +
                                          " (the snapshot's) yet");
    auto opened = crypto::open_snapshot(*blob, *key);
    if (!opened) return make_error(errc::crypto, "the snapshot does not open with the key of its epoch");
    image = std::move(*opened);
  }
  crypto::secret wipe_image;  // the image holds the panel's plaintext: wiped on the way out
  {
    auto snap = codec::decode_snapshot(image);
    if (!snap) return make_error(errc::malformed, "the snapshot is damaged (" + snap.err().message + ")");
    if (snap->space != blob->space || snap->cursor != blob->cursor)
      return make_error(errc::malformed, "the snapshot's image does not match its signed header");
  }

  // Passed: the keyring up to the cursor (in server order, through apply as
  // a pull would), then the image, then the keys of later records. Only a
  // storage failure or an image whose texts do not decode (a faulty uploader)
  // can still refuse it here; the device then pulls from 0 with the keyring
  // up to the cursor already applied (changes of removed devices are judged
  // by their server_seq, roles as the keyring has them: see check_remote).
  // Records before the image: our own join among them applies in server
  // order, before the cursor moves past it (settle_acked).
  if (sp.empty()) PL_TRY(set_space(blob->space));
  for (auto* c : upto) {
    auto a = apply(c->envelope, c->server_seq, now_ms);
    if (!a && a.err().code == errc::storage) return a.err();
  }
  auto loaded = load_snapshot(image);
  wipe_image = crypto::secret(std::move(image));
  if (!loaded) return loaded.err();
  for (auto& [ep, key] : found)
    if (!keys_->epochs.count(ep)) PL_TRY(store_epoch_key(ep, key));
  return blob->cursor;
}

// ---- private content -------------------------------------------------------

bool replica::is_private(const value& v) {
  const bytes* b = as_bytes(v);
  return b && b->size() >= private_magic.size() + 16 + crypto::aead_overhead &&
         std::equal(private_magic.begin(), private_magic.end(), b->begin());
}

result<bytes> replica::seal_private(const std::string& plaintext) {
  bytes member = my_member();
  auto mk = keys_->members.find(member);
  if (member.empty() || mk == keys_->members.end())
    return make_error(errc::no_key, "this device has no member key for private notes yet; sync first");
  bytes ad = to_bytes(private_magic);
  append(ad, member);
  auto ct = crypto::aead_seal(mk->second, ad, to_bytes(plaintext));
  if (!ct) return ct.err();
  append(ad, *ct);
  return ad;
}

result<std::string> replica::open_private(const bytes& sealed) const {
  if (!is_private(sealed)) return make_error(errc::malformed, "not a private value");
  bytes member(sealed.begin() + 4, sealed.begin() + 20);
  auto mk = keys_->members.find(member);
  if (mk == keys_->members.end()) return make_error(errc::no_key, "private to another member");
  auto pt = crypto::aead_open(mk->second, bytes(sealed.begin(), sealed.begin() + 20), bytes(sealed.begin() + 20, sealed.end()));
  if (!pt) return make_error(errc::crypto, "a private value is damaged");
  std::string s(pt->begin(), pt->end());
  crypto::secret wipe(std::move(*pt));
  return s;
}

result<crypto::secret> replica::words_key(const bytes& member, const bytes& row) const {
  auto mk = keys_->members.find(member);
  if (member.empty() || mk == keys_->members.end())
    return make_error(errc::no_key, "this device holds no key to that member's private words");
  return crypto::secret(crypto::keyed_hash(mk->second, "packline sealed words " + std::string(row.begin(), row.end()), 32));
}

// ---- group keys (a priority's leads) -------------------------------------------

namespace {
constexpr std::size_t wrap_bytes = 32 + 32 + 48;  // device key, then crypto_box_seal of a 32-byte key
}

result<replica::group_key_made> replica::make_group_key(const std::vector<bytes>& members) const {
  group_key_made out{crypto::secret::random(crypto::aead_key_bytes), {}};
  for (const bytes& m : members)
    for (auto& [device, info] : keys_->kr.devices(m)) {
      auto sealed = crypto::seal_to(info.xpk, out.key);
      if (!sealed) return sealed.err();
      append(out.wraps, device);
      append(out.wraps, *sealed);
    }
  return out;
}

result<crypto::secret> replica::open_group_key(const bytes& wraps) const {
  if (keys_->locked) return make_error(errc::no_key, "this tablet is locked until it reaches the server");
  const bytes& me = device_id();
  for (std::size_t at = 0; at + wrap_bytes <= wraps.size(); at += wrap_bytes) {
    if (!std::equal(me.begin(), me.end(), wraps.begin() + static_cast<std::ptrdiff_t>(at))) continue;
    return keys_->box.open(bytes(wraps.begin() + static_cast<std::ptrdiff_t>(at + 32),
                                 wraps.begin() + static_cast<std::ptrdiff_t>(at + wrap_bytes)));
  }
  return make_error(errc::no_key, "this tablet was not given that group's key");
}

// ---- lease and at rest --------------------------------------------------------

result<bytes> replica::lease_offer() {
  if (keys_->locked || !secured()) return bytes{};
  if (!keys_->lease) keys_->lease = crypto::secret::random(32);
  return crypto::seal_to(keys_->box.public_key(), *keys_->lease);
}

result<bool> replica::welcome_lease(const bytes& sealed_lease, std::uint64_t now_ms) {
  // Only the device's own key opens it; anything else is as if absent.
  std::optional<crypto::secret> given;
  if (!sealed_lease.empty())
    if (auto l = keys_->box.open(sealed_lease); l && l->size() == 32) given = std::move(*l);
  if (keys_->locked) {
    if (!given || !keys_->storage)
      return make_error(errc::lease_expired,
                        "this tablet has been offline longer than the panel allows, and the server did not give back "
                        "its key, so it stays locked (the server no longer accepts this tablet, or this was not the "
                        "panel's server)");
    auto image = at_rest::open_image(keys_->locked_image, *keys_->storage, &*given);
    if (!image) return image.err();
    auto whole = open(*image);
    crypto::secret wipe(std::move(*image));
    if (!whole) return whole.err();
    auto storage = std::move(keys_->storage);
    *this = std::move(**whole);
    keys_->storage = std::move(storage);
    keys_->lease = given;
  }
  bool ours = given && keys_->lease && *given == *keys_->lease;
  if (ours) keys_->lease_registered = true;
  // The lease starts anew on proof that the server keeps this device's
  // secret; an open panel has no lease to start.
  if (!ours && keys_->lease) return false;
  PL_TRY(meta_set(*db_, k_contact, static_cast<std::int64_t>(now_ms)));
  return true;
}

result<void> replica::renew_lease(std::uint64_t now_ms) {
  if (keys_->locked || !keys_->lease) return {};
  return meta_set(*db_, k_contact, static_cast<std::int64_t>(now_ms));
}

bool replica::lease_expired(std::uint64_t now_ms) {
  if (keys_->locked) return true;
  if (!secured()) return false;
  auto c = meta_get(*db_, k_contact);
  if (!c || !std::holds_alternative<std::int64_t>(*c)) return false;
  auto last = static_cast<std::uint64_t>(std::get<std::int64_t>(*c));
  return now_ms > last && now_ms - last > keys_->kr.lease_ms();
}

result<bool> replica::lock_if_expired(std::uint64_t now_ms) {
  if (keys_->locked) return true;
  // Only a secret the server has handed back is dropped: the copy must
  // open again once the device reaches the server.
  if (!keys_->lease || !keys_->lease_registered || !keys_->storage || !lease_expired(now_ms)) return false;
  auto image = save();
  if (!image) return image.err();
  auto sealed = at_rest::seal_image(*image, *keys_->storage, &*keys_->lease);
  crypto::secret wipe(std::move(*image));
  if (!sealed) return sealed.err();
  auto empty = create(key_.seed());
  if (!empty) return empty.err();
  bytes sp = space();
  auto storage = std::move(keys_->storage);
  *this = std::move(**empty);
  if (!sp.empty()) PL_TRY(set_space(sp));
  keys_->storage = std::move(storage);
  keys_->locked = true;
  keys_->locked_image = std::move(*sealed);
  keys_->lease_registered = true;
  return true;
}

result<std::unique_ptr<replica>> replica::open_sealed(const bytes& sealed, std::string_view passphrase, std::uint64_t now_ms) {
  PL_TRY(crypto::init());
  auto key = at_rest::key_for(sealed, passphrase);
  if (!key) return key.err();
  if (!at_rest::is_v2(sealed)) {  // a copy saved before the lease secret (bound at its next save)
    auto image = at_rest::open_replica(sealed, *key);
    if (!image) return image.err();
    auto r = open(*image);
    crypto::secret wipe(std::move(*image));
    if (!r) return r.err();
    (*r)->keys_->storage = std::move(*key);
    return r;
  }
  auto copy = at_rest::open_copy(sealed, *key);
  if (!copy) return copy.err();
  auto& o = copy->outer;
  // Past the lease (once the server has held the secret) the cached secret
  // is not used, and the next save leaves it out.
  bool past = o.registered && o.lease_until != 0 && now_ms > o.lease_until;
  if (o.bound && (!o.lease || past)) {
    auto r = create(o.seed);
    if (!r) return r.err();
    if (!o.space.empty()) PL_TRY((*r)->set_space(o.space));
    auto& k = *(*r)->keys_;
    k.storage = std::move(*key);
    k.locked = true;
    k.locked_image = std::move(copy->image);
    k.lease_registered = o.registered;
    k.lease_until = o.lease_until;
    return r;
  }
  auto image = at_rest::open_image(copy->image, *key, o.bound ? &*o.lease : nullptr);
  if (!image) return make_error(errc::corrupt_replica, "the data stored on this device was altered; it was not opened and nothing was overwritten");
  auto r = open(*image);
  crypto::secret wipe(std::move(*image));
  if (!r) return r.err();
  auto& k = *(*r)->keys_;
  k.storage = std::move(*key);
  k.lease = std::move(o.lease);
  k.lease_registered = o.registered;
  return r;
}

result<void> replica::set_passphrase(std::string_view passphrase) {
  auto k = at_rest::new_key(passphrase);
  if (!k) return k.err();
  keys_->storage = std::move(*k);
  return {};
}

bool replica::has_passphrase() const { return keys_->storage.has_value(); }

result<bytes> replica::save_sealed() {
  if (!keys_->storage) return make_error(errc::bad_state, "set a passphrase before saving");
  at_rest::copy_outer o;
  o.seed = key_.seed();
  o.space = space();
  o.registered = keys_->lease_registered;
  if (keys_->locked) {  // the image stays as it was sealed; the secret is not kept
    o.bound = true;
    o.lease_until = keys_->lease_until;
    return at_rest::seal_copy(o, keys_->locked_image, *keys_->storage);
  }
  if (secured() && !keys_->lease) keys_->lease = crypto::secret::random(32);
  auto image = save();
  if (!image) return image.err();
  auto sealed = at_rest::seal_image(*image, *keys_->storage, keys_->lease ? &*keys_->lease : nullptr);
  crypto::secret wipe(std::move(*image));
  if (!sealed) return sealed.err();
  o.bound = keys_->lease.has_value();
  o.lease = keys_->lease;
  if (auto c = meta_get(*db_, k_contact); c && std::holds_alternative<std::int64_t>(*c))
    o.lease_until = static_cast<std::uint64_t>(std::get<std::int64_t>(*c)) + keys_->kr.lease_ms();
  auto out = at_rest::seal_copy(o, *sealed, *keys_->storage);
  crypto::secret wipe_seed(std::move(o.seed));
  return out;
}

}  // namespace packline
