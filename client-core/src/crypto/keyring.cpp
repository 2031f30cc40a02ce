// Keyring records and their state machine (see keyring.hpp). The server and
// every replica call state::apply on the same records in the same (server)
// order; anything here that depended on a local clock or local secrets would
// make them disagree, so it only reads the records.
#include "packline/crypto/keyring.hpp"

#include "packline/wire/codec.hpp"
#include "packline/rules/rules.hpp"

namespace packline::keyring {
namespace {

error refuse(std::string why) { return make_error(errc::forbidden, "keyring: " + std::move(why)); }

bool valid_role(const std::string& r) { return rules::parse_role(r) != rules::role::none; }

}  // namespace

bytes signed_bytes(const bytes& space, const record& r) {
  record copy = r;
  copy.sig.clear();
  bytes out;
  append(out, std::string_view("packline-keyring-v2"));
  append(out, space);
  append(out, codec::encode_keyring(copy));
  return out;
}

void sign(record& r, const bytes& space, const crypto::signing_key& k) { r.sig = k.sign(signed_bytes(space, r)); }

bytes record_hash(const bytes& space, const record& r) {
  bytes b = signed_bytes(space, r);
  append(b, r.sig);
  return crypto::sha256(b);
}

bool chained(kind k) {
  return k != kind::genesis && k != kind::join && k != kind::member_key && k != kind::key_request;
}

bool state::invite_key_spent(std::uint32_t epoch, std::uint64_t now_ms) const {
  for (auto& [id, inv] : invites_)
    if (inv.epoch == epoch && !inv.sealed.empty() && (inv.used || inv.expires_ms < now_ms)) return true;
  return false;
}

bool state::admits(const record& r, const bytes& device) {
  return (r.k == kind::join && r.device == device) || (r.k == kind::enrol && r.device == device) ||
         r.k == kind::genesis;
}

result<void> state::may_write(const bytes& device) const {
  auto it = devices_.find(device);
  if (it == devices_.end()) return make_error(errc::not_member, "this device is not a member of the panel");
  if (it->second.revoked) return make_error(errc::revoked, "this device has been removed from the panel");
  return {};
}

const device_info* state::device(const bytes& pk) const {
  auto it = devices_.find(pk);
  return it == devices_.end() ? nullptr : &it->second;
}

const invite_info* state::invite(const bytes& id) const {
  auto it = invites_.find(id);
  return it == invites_.end() ? nullptr : &it->second;
}

std::vector<std::pair<bytes, device_info>> state::devices(const bytes& member) const {
  std::vector<std::pair<bytes, device_info>> out;
  for (auto& [pk, d] : devices_)
    if (!d.revoked && (member.empty() || d.member == member)) out.emplace_back(pk, d);
  return out;
}

result<void> state::check(const bytes& space, const record& r, const bytes& actor, bool first) const {
  // Every admin-signed kind but genesis is chained: it applies only right
  // after the record it names, so none applies twice or out of its place.
  auto admin_signed = [&]() -> result<void> {
    if (!crypto::verify(admin_pk_, signed_bytes(space, r), r.sig)) return refuse("record not signed by the panel's admin key");
    if (r.prev.size() != 32) return refuse("this record does not name the record it follows");
    if (r.prev != head_)
      return refuse("this record was made on an outdated keyring (it does not follow the panel's latest record); "
                    "the admin device syncs and makes it again");
    return {};
  };
  if (r.k == kind::genesis) {
    if (secured()) return refuse("the panel is already founded");
    if (!first) return refuse("a panel can only be secured as its first change");
    if (r.admin_pk.size() != 32 || r.lease_ms == 0 || !r.prev.empty()) return refuse("malformed genesis");
    if (!crypto::verify(r.admin_pk, signed_bytes(space, r), r.sig)) return refuse("genesis not signed by its admin key");
    return {};
  }
  if (!secured()) return refuse("the panel has no keyring yet");
  if (seen_.count(record_hash(space, r))) return refuse("this record was applied already (a record is never sent twice)");
  // Every record but a join or an enrol of the sender itself comes from a member device.
  if (!admits(r, actor)) PL_TRY(may_write(actor));
  switch (r.k) {
    case kind::genesis: break;
    case kind::enrol: {
      if (r.member.size() != 16 || r.device.size() != 32 || r.xpk.size() != 32 || !valid_role(r.role))
        return refuse("malformed enrolment");
      PL_TRY(admin_signed());
      auto d = device(r.device);
      if (d && d->revoked) return refuse("a revoked device cannot be enrolled again");
      return {};
    }
    case kind::invite: {
      if (r.invite_id.size() != 16 || r.invite_pk.size() != 32 || r.member.size() != 16 || !valid_role(r.role) ||
          r.expires_ms == 0 || r.epoch > epoch_)
        return refuse("malformed invite");
      PL_TRY(admin_signed());
      if (invites_.count(r.invite_id)) return refuse("an invite with this id exists");
      return {};
    }
    case kind::join: {
      if (r.invite_id.size() != 16 || r.device.size() != 32 || r.xpk.size() != 32) return refuse("malformed join");
      if (r.device != actor) return refuse("a join must be sent by the joining device");
      auto inv = invite(r.invite_id);
      if (!inv) return refuse("no such invite");
      if (inv->used) return refuse("this invite has been used already");
      if (r.at_ms > inv->expires_ms) return refuse("this invite has expired");
      if (!crypto::verify(inv->pk, signed_bytes(space, r), r.sig)) return refuse("the join is not signed by the invite");
      if (member_removed(inv->member)) return refuse("the invited member has been removed");
      if (device(r.device)) return refuse("this device is already registered");
      return {};
    }
    case kind::epoch: {
      if (r.epoch != epoch_ + 1 || r.grants.size() > max_grants) return refuse("epochs go up one at a time");
      PL_TRY(admin_signed());
      for (auto& g : r.grants)
        if (g.device.size() != 32 || g.sealed.empty()) return refuse("malformed epoch grant");
      return {};
    }
    case kind::grant: {
      if (r.epoch == 0 || r.epoch > epoch_ || r.device.size() != 32 || r.sealed.empty()) return refuse("malformed grant");
      PL_TRY(admin_signed());
      return {};
    }
    case kind::remove: {
      if (r.member.size() != 16) return refuse("malformed removal");
      return admin_signed();
    }
    case kind::revoke: {
      if (r.device.size() != 32) return refuse("malformed revocation");
      return admin_signed();
    }
    case kind::lease: {
      if (r.lease_ms == 0) return refuse("a lease must be longer than zero");
      return admin_signed();
    }
    case kind::role: {
      if (r.member.size() != 16 || !valid_role(r.role)) return refuse("malformed role change");
      return admin_signed();
    }
    case kind::key_request: {
      // Unchained and unsigned by the admin: a member device asks, the
      // admin's device answers with a grant if the keyring shows none.
      if (r.device != actor || r.epoch == 0 || r.epoch > epoch_) return refuse("malformed key request");
      return {};
    }
    case kind::member_key: {
      if (r.member.size() != 16 || r.device.size() != 32 || r.sealed.empty()) return refuse("malformed member key");
      auto from = device(actor);
      auto to = device(r.device);
      if (!from || from->member != r.member) return refuse("only a device of the member shares its member key");
      if (!to || to->revoked || to->member != r.member) return refuse("a member key goes only to the member's own devices");
      return {};
    }
  }
  return refuse("unknown record kind");
}

result<void> state::apply(const bytes& space, const record& r, const bytes& actor, std::uint64_t seq, bool first) {
  if (applied_.count({actor, seq})) return {};
  PL_TRY(check(space, r, actor, first));
  switch (r.k) {
    case kind::genesis:
      admin_pk_ = r.admin_pk;
      lease_ms_ = r.lease_ms;
      break;
    case kind::enrol:
      devices_[r.device] = device_info{r.member, r.role, r.xpk, false};
      removed_.erase(r.member);
      break;
    case kind::invite:
      invites_[r.invite_id] = invite_info{r.invite_pk, r.member, r.role, r.expires_ms, r.epoch, r.sealed, false, {}, 0};
      removed_.erase(r.member);
      break;
    case kind::join: {
      auto& inv = invites_[r.invite_id];
      inv.used = true;
      inv.joined_by = r.device;
      inv.joined_ms = r.at_ms;
      devices_[r.device] = device_info{inv.member, inv.role, r.xpk, false};
      break;
    }
    case kind::epoch:
      epoch_ = r.epoch;
      for (auto& g : r.grants) keys_.insert({g.device, r.epoch});
      break;
    case kind::grant: keys_.insert({r.device, r.epoch}); break;
    case kind::key_request: break;
    case kind::remove:
      removed_.insert(r.member);
      for (auto& [pk, d] : devices_)
        if (d.member == r.member) d.revoked = true;
      for (auto& [id, inv] : invites_)
        if (inv.member == r.member) inv.used = true;  // open invites of the member die with it
      break;
    case kind::revoke: devices_[r.device].revoked = true; break;
    case kind::lease: lease_ms_ = r.lease_ms; break;
    case kind::role:
      for (auto& [pk, d] : devices_)
        if (d.member == r.member) d.role = r.role;
      for (auto& [id, inv] : invites_)
        if (inv.member == r.member) inv.role = r.role;
      break;
    case kind::member_key: break;
  }
  applied_.insert({actor, seq});
  bytes h = record_hash(space, r);
  if (r.k == kind::genesis || chained(r.k)) {
    head_ = h;
    ++length_;
  }
  seen_.insert(std::move(h));
  return {};
}

result<void> admit(state& s, const bytes& space, const envelope& e, bool first, std::uint64_t now_ms) {
  if (e.epoch == record_epoch) {
    auto r = codec::decode_keyring(e.payload);
    if (!r) return refuse("malformed record: " + r.err().message);
    if (!s.secured() && r->k != kind::genesis) return refuse("records need a secured panel");
    if (r->k == kind::join && (r->at_ms > now_ms + max_join_skew_ms || r->at_ms + max_join_skew_ms < now_ms))
      return refuse("the join's time is too far from the server's clock");
    return s.apply(space, *r, e.actor, e.seq, first);
  }
  if (!s.secured()) {
    if (e.epoch != 0) return refuse("sealed change in an open panel");
    return {};
  }
  PL_TRY(s.may_write(e.actor));
  if (e.epoch == 0) return refuse("an unsealed change in a secured panel");
  if (e.epoch > s.epoch())
    return refuse("wrong epoch: sealed under epoch " + std::to_string(e.epoch) + ", the panel is at epoch " + std::to_string(s.epoch()));
  if (e.epoch < s.epoch())
    return make_error(errc::superseded, "superseded epoch: sealed under epoch " + std::to_string(e.epoch) + ", the panel's key is now epoch " +
                  std::to_string(s.epoch()) + "; pull the keyring and re-seal the change under it");
  return {};
}

std::string format_invite(const invite_code& c) {
  bytes b = c.space;
  append(b, c.secret.expose());
  std::string s = to_hex(b);
  crypto::secret wipe(std::move(b));
  return s;
}

result<invite_code> parse_invite(std::string_view code) {
  std::string clean;
  for (char ch : code)
    if (ch != ' ' && ch != '-' && ch != '\n') clean += ch;
  bytes b = from_hex(clean);
  if (b.size() != 48) return make_error(errc::invalid_argument, "that is not a Packline invite code (96 hex digits)");
  invite_code c{bytes(b.begin(), b.begin() + 16), crypto::secret(bytes(b.begin() + 16, b.end()))};
  crypto::secret wipe(std::move(b));
  return c;
}

}  // namespace packline::keyring
