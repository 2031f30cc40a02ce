// Panel workflow over the replica. Rows are read from the materialised tables
// and written as LWW field ops through commit_checked(), which runs every op
// through rules::check() for the signed-in member first. Derived facts (what
// became of a draft, which public submissions are accepted, where an
// annotation now sits, which actions carry over) are computed when read, from
// replicated rows only, so every replica shows the same answer. One file per
// part of the workflow (members.cpp ... after_meeting.cpp); this one: the
// panel's members.
#include "packline/panel/workflow.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include "packline/base/fractional.hpp"
#include "packline/base/limits.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/rules/rules.hpp"
#include "panel/workflow_support.hpp"

namespace packline::workflow {
using namespace detail;

// ---- members --------------------------------------------------------------

namespace {
std::string role_refused(const std::string& role) {
  return "“" + role + "” is not a role on the panel: choose chair, vice-chair, member, independent member, clerk or officer";
}
}  // namespace

result<std::vector<member>> members(replica& r) {
  auto rows = r.rows("member", {}, {}, "name");
  if (!rows) return rows.err();
  std::vector<member> out;
  for (auto& x : *rows) out.push_back({to_hex(x.id), x.text("name"), x.text("role")});
  return out;
}

std::string signed_in_member(replica& r) { return r.setting("member"); }

result<void> sign_in(replica& r, const std::string& member_id) {
  auto m = id_arg(member_id, "member");
  if (!m) return m.err();
  auto f = find_row(r, "member", *m);
  if (!f) return f.err();
  if (!*f) return make_error(errc::not_found, "there is no such member on this panel");
  return r.set_setting("member", member_id);
}

std::string my_role(replica& r) {
  auto a = me(r);
  return a ? rules::to_string(a->role) : std::string{};
}

result<std::string> register_member(replica& r, const std::string& name, const std::string& role, std::uint64_t now_ms) {
  if (name.empty()) return make_error(errc::invalid_argument, "a member needs a name");
  if (rules::parse_role(role) == rules::role::none) return make_error(errc::invalid_argument, role_refused(role));
  bytes id = new_row_id();
  // A new member writes their own row; the rules decide whether the role is theirs to take.
  std::vector<op> ops{set("member", id, "name", str(name)), set("member", id, "role", str(role)),
                      set("member", id, "created_by", id), set("member", id, "created_at", num(static_cast<std::int64_t>(now_ms)))};
  auto c = commit_checked(r, actor{id, rules::role::member, name}, std::move(ops), now_ms);
  if (!c) return c.err();
  PL_TRY(r.set_setting("member", to_hex(id)));
  return to_hex(id);
}

result<std::string> add_member(replica& r, const std::string& name, const std::string& role, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  if (name.empty()) return make_error(errc::invalid_argument, "a member needs a name");
  if (rules::parse_role(role) == rules::role::none) return make_error(errc::invalid_argument, role_refused(role));
  // A member already on the panel (say from a pack's front sheet) keeps their
  // row: only the role is set.
  auto known = r.rows("member");
  if (!known) return known.err();
  for (auto& x : *known)
    if (name_key(x.text("name")) == name_key(name)) {
      PL_TRY(commit_edit(r, *a, {set("member", x.id, "role", str(role))}, now_ms));
      return to_hex(x.id);
    }
  bytes id = new_row_id();
  auto c = commit_checked(r, *a,
                          {set("member", id, "name", str(name)), set("member", id, "role", str(role)),
                           set("member", id, "created_by", a->member),
                           set("member", id, "created_at", num(static_cast<std::int64_t>(now_ms)))},
                          now_ms);
  if (!c) return c.err();
  return to_hex(id);
}

result<std::string> found_panel(replica& r, const std::string& name, const std::string& role, std::uint64_t now_ms) {
  if (name.empty()) return make_error(errc::invalid_argument, "a member needs a name");
  if (rules::parse_role(role) == rules::role::none) return make_error(errc::invalid_argument, role_refused(role));
  bytes member = new_row_id();
  PL_TRY(r.found_space(crypto::random_bytes(16), member, role, now_ms));
  // No member is signed in yet: the founder's own row goes in unchecked, as
  // the keyring (just founded, admin-signed) already makes it a member.
  auto c = r.commit({set("member", member, "name", str(name)), set("member", member, "role", str(role)),
                     set("member", member, "created_by", member),
                     set("member", member, "created_at", num(static_cast<std::int64_t>(now_ms)))},
                    now_ms);
  if (!c) return c.err();
  PL_TRY(sign_in(r, to_hex(member)));
  return to_hex(member);
}

result<invite> invite_member(replica& r, const std::string& name, const std::string& role, std::uint64_t now_ms,
                             std::uint64_t ttl_ms) {
  if (!r.is_admin()) return make_error(errc::forbidden, "only the device that set up the panel can invite members");
  auto m = add_member(r, name, role, now_ms);
  if (!m) return m.err();
  auto code = r.create_invite(from_hex(*m), role, now_ms, ttl_ms);
  if (!code) return code.err();
  return invite{*m, *code};
}

}  // namespace packline::workflow
