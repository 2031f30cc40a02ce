// The plan the panel scrutinises: its priorities with their lead members,
// key lines of enquiry (KLOEs) per priority, and the forward plan.
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
#include "panel/sealed_words.hpp"
#include "panel/workflow_support.hpp"

namespace packline::workflow {
using namespace detail;

// ---- priorities, KLOEs, forward plan ---------------------------------------

result<std::vector<priority>> priorities(replica& r) {
  auto rows = r.rows("priority", {}, {}, "number");
  if (!rows) return rows.err();
  std::vector<priority> out;
  const std::string me_id = signed_in_member(r);
  for (auto& x : *rows) {
    priority p{to_hex(x.id), x.text("title"), x.text("plan"), int_of(x, "number"), split_ids(x.text("leads"))};
    p.shares_notes = r.write_epoch() != 0 ? current_group_key(r, x.id).has_value()
                                          : std::find(p.leads.begin(), p.leads.end(), me_id) != p.leads.end();
    out.push_back(std::move(p));
  }
  return out;
}

result<std::string> add_priority(replica& r, std::int64_t number, const std::string& title, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  if (title.empty()) return make_error(errc::invalid_argument, "a priority needs a title");
  if (number < 1) return make_error(errc::invalid_argument, "a priority needs its number in the plan (1 or more)");
  bytes id = derived_id("priority", {}, lower(title));
  auto c = commit_checked(r, *a,
                          {set("priority", id, "number", num(number)), set("priority", id, "title", str(title)),
                           set("priority", id, "created_by", a->member),
                           set("priority", id, "created_at", num(static_cast<std::int64_t>(now_ms)))},
                          now_ms);
  if (!c) return c.err();
  return to_hex(id);
}

result<void> set_priority_leads(replica& r, const std::string& priority_id, const std::vector<std::string>& member_ids,
                                std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto p = need_row(r, "priority", priority_id, "priority");
  if (!p) return p.err();
  for (auto& m : member_ids) {
    auto x = need_row(r, "member", m, "member");
    if (!x) return x.err();
  }
  std::vector<op> ops{set("priority", p->id, "leads", str(join_ids(member_ids)))};
  // In a secured panel the leads get a new group key with every change of
  // who they are, in this same change: sealed to each lead's current
  // devices and never kept here, so a lead who leaves holds none of the
  // keys notes are shared under from now on (a device that joins later
  // gets one when the leads are set again).
  if (r.write_epoch() != 0) {
    std::vector<bytes> leads;
    for (auto& m : member_ids) leads.push_back(from_hex(m));
    auto made = r.make_group_key(leads);
    if (!made) return made.err();
    bytes g = new_row_id();
    ops.push_back(set("group_key", g, "priority", p->id));
    ops.push_back(set("group_key", g, "wraps", std::move(made->wraps)));
    ops.push_back(set("group_key", g, "created_by", a->member));
    ops.push_back(set("group_key", g, "created_at", num(static_cast<std::int64_t>(now_ms))));
    ops.push_back(set("priority", p->id, "group_key", g));
  }
  auto c = commit_checked(r, *a, std::move(ops), now_ms);
  if (!c) return c.err();
  return {};
}

namespace {
kloe to_kloe(const row& x) {
  return {to_hex(x.id), hex_of(x, "priority"), x.text("topic"), hex_of(x, "owner"), x.text("bullets"),
          x.text("target_meeting"), x.text("approach"), x.text("status")};
}
result<void> check_approach(const std::string& a) {
  if (a == "Agenda" || a == "SSR") return {};
  return make_error(errc::invalid_argument, "the approach is Agenda or SSR (Spotlight Scrutiny Review)");
}
}  // namespace

result<std::string> draft_kloe(replica& r, const kloe& k, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto p = need_row(r, "priority", k.priority, "priority");
  if (!p) return p.err();
  if (k.topic.empty()) return make_error(errc::invalid_argument, "a KLOE needs a topic");
  PL_TRY(check_words(k.bullets, limits::max_note_words, "A KLOE's lines of enquiry"));
  PL_TRY(check_approach(k.approach.empty() ? std::string("Agenda") : k.approach));
  bytes id = new_row_id();
  std::vector<op> ops{set("kloe", id, "priority", p->id), set("kloe", id, "topic", str(k.topic)),
                      set("kloe", id, "owner", a->member),
                      set("kloe", id, "target_meeting", str(k.target_meeting)),
                      set("kloe", id, "approach", str(k.approach.empty() ? "Agenda" : k.approach)),
                      set("kloe", id, "status", str(k.status.empty() ? "draft" : k.status)),
                      set("kloe", id, "created_by", a->member),
                      set("kloe", id, "created_at", num(static_cast<std::int64_t>(now_ms)))};
  PL_TRY(add_text(r, ops, "kloe", id, "bullets", k.bullets));
  auto c = commit_checked(r, *a, std::move(ops), now_ms);
  if (!c) return c.err();
  return to_hex(id);
}

result<void> edit_kloe(replica& r, const kloe& k, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto x = need_row(r, "kloe", k.id, "KLOE");
  if (!x) return x.err();
  if (!k.approach.empty()) PL_TRY(check_approach(k.approach));
  PL_TRY(check_words(k.bullets, limits::max_note_words, "A KLOE's lines of enquiry"));
  std::vector<op> ops;
  set_given(ops, "kloe", x->id, "topic", k.topic);
  if (!k.bullets.empty()) PL_TRY(add_text(r, ops, "kloe", x->id, "bullets", k.bullets));
  set_given(ops, "kloe", x->id, "target_meeting", k.target_meeting);
  set_given(ops, "kloe", x->id, "approach", k.approach);
  set_given(ops, "kloe", x->id, "status", k.status);
  return commit_edit(r, *a, std::move(ops), now_ms);
}

result<std::vector<kloe>> kloes(replica& r, const std::string& priority_id) {
  result<std::vector<row>> rows = priority_id.empty() ? r.rows("kloe", {}, {}, "created_at") : [&]() -> result<std::vector<row>> {
    auto p = id_arg(priority_id, "priority");
    if (!p) return p.err();
    return r.rows("kloe", "priority", *p, "created_at");
  }();
  if (!rows) return rows.err();
  std::vector<kloe> out;
  for (auto& x : *rows) out.push_back(to_kloe(x));
  return out;
}

result<std::vector<forward_item>> forward_plan(replica& r) {
  auto rows = r.rows("forward_plan", {}, {}, "position");
  if (!rows) return rows.err();
  std::vector<forward_item> out;
  for (auto& x : *rows)
    out.push_back({to_hex(x.id), x.text("meeting_label"), x.text("meeting_date"), x.text("title"), x.text("notes"),
                   x.text("raised_by"), x.text("lead"), x.text("kloes"), x.text("approach"), int_of(x, "position")});
  return out;
}

result<void> edit_forward_item(replica& r, const forward_item& f, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto x = need_row(r, "forward_plan", f.id, "forward plan row");
  if (!x) return x.err();
  if (!f.approach.empty()) PL_TRY(check_approach(f.approach));
  PL_TRY(check_words(f.notes, limits::max_note_words, "A forward plan row's notes"));
  std::vector<op> ops;
  if (!f.notes.empty()) PL_TRY(add_text(r, ops, "forward_plan", x->id, "notes", f.notes));
  for (auto [field, v] : {std::pair{"lead", &f.lead}, {"kloes", &f.kloes}, {"approach", &f.approach}})
    set_given(ops, "forward_plan", x->id, field, *v);
  return commit_edit(r, *a, std::move(ops), now_ms);
}

}  // namespace packline::workflow
