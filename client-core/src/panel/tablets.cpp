// The clerk's tablets desk (tablets.hpp): a view of the keyring and the change
// log for the admin device, and the checks before a revocation or a removal,
// which the replica then commits as keyring records and a new epoch.
#include "packline/panel/tablets.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "packline/panel/workflow.hpp"

namespace packline::tablets {
namespace {

result<void> admin_only(replica& r, const char* what) {
  if (!r.secured()) return make_error(errc::bad_state, "this is an open panel: it has no tablets to manage");
  if (!r.is_admin())
    return make_error(errc::forbidden, std::string("only the tablet that set up the panel ") + what);
  return {};
}

// This tablet's own records the keyring has not applied yet: what it has
// revoked, removed and invited while offline (or before the server answered).
struct unsent {
  std::set<bytes> revoked, removed;
  std::vector<keyring::record> invites;
};
unsent unsent_records(replica& r) {
  unsent u;
  for (auto& rec : r.unapplied_records()) {
    if (rec.k == keyring::kind::revoke) u.revoked.insert(rec.device);
    if (rec.k == keyring::kind::remove) u.removed.insert(rec.member);
    if (rec.k == keyring::kind::invite) u.invites.push_back(std::move(rec));
  }
  return u;
}

std::string invite_status(const keyring::invite_info& inv, bool member_removed, std::uint64_t now_ms) {
  if (!inv.joined_by.empty()) return "used";
  if (member_removed || inv.used) return "cancelled";
  return inv.expires_ms < now_ms ? "expired" : "open";
}

}  // namespace

result<overview> list(replica& r, std::uint64_t now_ms) {
  PL_TRY(admin_only(r, "sees the panel's tablets"));
  const auto& kr = r.keyring();
  auto rows = workflow::members(r);
  if (!rows) return rows.err();
  std::map<bytes, std::uint64_t> joined;
  for (auto& [id, inv] : kr.invites())
    if (!inv.joined_by.empty()) joined[inv.joined_by] = inv.joined_ms;
  auto last = r.last_change_ms();
  auto u = unsent_records(r);
  overview out;
  std::map<std::string, std::size_t> at;  // member hex -> index in out.members
  for (auto& m : *rows) {
    at[m.id] = out.members.size();
    bytes id = from_hex(m.id);
    bool unsent = u.removed.count(id) > 0;
    out.members.push_back({m.id, m.name, m.role, unsent || kr.member_removed(id), unsent, {}});
  }
  for (auto& [pk, d] : kr.all_devices()) {
    auto it = at.find(to_hex(d.member));
    if (it == at.end()) continue;  // a member row not here yet (it syncs with the keyring)
    auto& m = out.members[it->second];
    tablet t;
    t.device = to_hex(pk);
    bool unsent = !d.revoked && u.revoked.count(pk) > 0;
    t.status = m.removed ? "removed" : d.revoked || unsent ? "revoked" : "active";
    t.pending = m.removed ? m.pending : unsent;
    auto j = joined.find(pk);
    t.joined_ms = j == joined.end() ? 0 : j->second;
    auto l = last.find(pk);
    // A tablet's clock may run ahead: never "seen" later than now.
    t.last_change_ms = l == last.end() ? 0 : std::min(l->second, now_ms);
    t.this_tablet = pk == r.device_id();
    m.tablets.push_back(std::move(t));
  }
  for (auto& m : out.members)
    std::stable_sort(m.tablets.begin(), m.tablets.end(),
                     [](const tablet& a, const tablet& b) { return a.joined_ms < b.joined_ms; });
  for (auto& [id, inv] : kr.invites()) {
    invite x;
    x.id = to_hex(id);
    x.member = to_hex(inv.member);
    auto it = at.find(x.member);
    x.name = it == at.end() ? "" : out.members[it->second].name;
    x.role = inv.role;
    x.expires_ms = inv.expires_ms;
    x.status = invite_status(inv, kr.member_removed(inv.member), now_ms);
    x.device = to_hex(inv.joined_by);
    x.used_ms = inv.joined_ms;
    out.invites.push_back(std::move(x));
  }
  for (auto& rec : u.invites) {
    invite x;
    x.id = to_hex(rec.invite_id);
    x.member = to_hex(rec.member);
    auto it = at.find(x.member);
    x.name = it == at.end() ? "" : out.members[it->second].name;
    x.role = rec.role;
    x.expires_ms = rec.expires_ms;
    x.status = u.removed.count(rec.member) ? "cancelled" : rec.expires_ms < now_ms ? "expired" : "open";
    x.pending = true;
    out.invites.push_back(std::move(x));
  }
  std::stable_sort(out.invites.begin(), out.invites.end(),
                   [](const invite& a, const invite& b) { return a.expires_ms > b.expires_ms; });
  return out;
}

result<void> revoke(replica& r, const std::string& device, std::uint64_t now_ms) {
  PL_TRY(admin_only(r, "revokes tablets"));
  bytes pk = from_hex(device);
  const auto* d = pk.size() == 32 ? r.keyring().device(pk) : nullptr;
  if (!d) return make_error(errc::not_found, "there is no such tablet in this panel");
  auto u = unsent_records(r);
  if (d->revoked || u.revoked.count(pk) || u.removed.count(d->member))
    return make_error(errc::bad_state, "this tablet has been revoked already");
  if (pk == r.device_id())
    return make_error(errc::invalid_argument, "this is the tablet that manages the panel: it cannot revoke itself");
  return r.revoke_device(pk, now_ms);
}

result<void> remove_member(replica& r, const std::string& member, std::uint64_t now_ms) {
  PL_TRY(admin_only(r, "removes members"));
  bytes id = from_hex(member);
  auto rows = workflow::members(r);
  if (!rows) return rows.err();
  bool known = id.size() == 16 && std::any_of(rows->begin(), rows->end(), [&](auto& m) { return m.id == member; });
  if (!known) return make_error(errc::not_found, "there is no such member on this panel");
  if (r.keyring().member_removed(id) || unsent_records(r).removed.count(id)) return make_error(errc::bad_state, "this member has been removed already");
  if (id == r.my_member())
    return make_error(errc::invalid_argument, "this tablet acts for this member and manages the panel: it cannot remove them");
  return r.remove_member(id, now_ms);
}

}  // namespace packline::tablets
