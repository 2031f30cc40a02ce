// Who belongs, as the admin device and the members' devices change it:
// founding a secured panel, invites and joins, removal and revocation, new
// epochs; then private content under a member's key, and the group keys of a
// priority's leads.
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

}  // namespace packline
