// The chair's consolidation: members' drafts merged into the final question
// list, ordered, edited, and merges undone.
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

// ---- consolidation ---------------------------------------------------------

namespace {

result<std::vector<consolidated>> consolidated_rows(replica& r, const std::string& meeting_id, bool groups) {
  auto m = id_arg(meeting_id, "meeting");
  if (!m) return m.err();
  auto rows = r.rows("consolidated_question", "meeting", *m, "position");
  if (!rows) return rows.err();
  std::vector<consolidated> out;
  std::int64_t n = 0;
  for (auto& x : *rows)
    if ((x.text("status") == grouped) == groups)
      out.push_back({to_hex(x.id), meeting_id, x.text("position"), x.text("section"), x.text("body"), hex_of(x, "lead"),
                     x.text("lead_label"), hex_of(x, "priority"), x.text("target"), x.text("status"),
                     split_ids(x.text("sources")), ++n});
  return out;
}
}  // namespace

result<std::vector<consolidated>> consolidated_list(replica& r, const std::string& meeting_id) {
  return consolidated_rows(r, meeting_id, false);
}
result<std::vector<consolidated>> groups(replica& r, const std::string& meeting_id) {
  return consolidated_rows(r, meeting_id, true);
}

namespace {
result<void> fill_consolidated(replica& r, std::vector<op>& ops, const bytes& id, const consolidated_draft& c) {
  PL_TRY(check_words(c.body, limits::max_question_words, "A question"));
  if (!c.body.empty()) PL_TRY(add_text(r, ops, "consolidated_question", id, "body", c.body));
  if (!c.section.empty()) ops.push_back(set("consolidated_question", id, "section", str(c.section)));
  if (!c.target.empty()) ops.push_back(set("consolidated_question", id, "target", str(c.target)));
  if (!c.lead_label.empty()) ops.push_back(set("consolidated_question", id, "lead_label", str(c.lead_label)));
  if (!c.lead.empty()) {
    auto l = need_row(r, "member", c.lead, "member");
    if (!l) return make_error(errc::invalid_argument, "the question lead is not a member of the panel");
    ops.push_back(set("consolidated_question", id, "lead", l->id));
  }
  if (!c.priority.empty()) {
    auto p = id_arg(c.priority, "priority");
    if (!p) return p.err();
    ops.push_back(set("consolidated_question", id, "priority", *p));
  }
  return {};
}

// Checks that the drafts are the meeting's. When merged (not only grouped),
// drafts put in become "consolidated" and drafts taken out go back to "submitted".
result<void> source_statuses(replica& r, std::vector<op>& ops, const bytes& meeting, const std::vector<std::string>& before,
                             const std::vector<std::string>& after, bool merged = true) {
  for (auto& s : after) {
    auto q = need_row(r, "question", s, "question");
    if (!q) return q.err();
    if (bytes_of(*q, "meeting") != meeting) return make_error(errc::invalid_argument, "a merged draft belongs to another meeting");
    if (merged) ops.push_back(set("question", q->id, "status", str("consolidated")));
  }
  if (merged)
    for (auto& s : before)
      if (std::find(after.begin(), after.end(), s) == after.end())
        ops.push_back(set("question", from_hex(s), "status", str("submitted")));
  return {};
}
}  // namespace

namespace {
// A new row at the end of the list (or of the groups).
result<std::string> add_consolidated(replica& r, const consolidated_draft& c, bool group, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto m = id_arg(c.meeting, "meeting");
  if (!m) return m.err();
  if (!group && c.body.empty()) return make_error(errc::invalid_argument, "a question on the final list needs its wording");
  consolidated_draft d = c;
  if (!group && d.section.empty()) d.section = "In quarter";
  if (!group && d.target.empty()) d.target = "PCC";
  if (group && c.sources.size() < 2) return make_error(errc::invalid_argument, "a group has at least two drafts");
  auto list = consolidated_rows(r, c.meeting, group);
  if (!list) return list.err();
  bytes id = new_row_id();
  auto pos = between(list->empty() ? std::string{} : list->back().position, {});
  if (!pos) return pos.err();
  std::vector<op> ops{set("consolidated_question", id, "meeting", *m),
                      set("consolidated_question", id, "position", str(*pos)),
                      set("consolidated_question", id, "sources", str(join_ids(c.sources))),
                      set("consolidated_question", id, "status", str(group ? grouped : "listed")),
                      set("consolidated_question", id, "created_by", a->member),
                      set("consolidated_question", id, "created_at", num(static_cast<std::int64_t>(now_ms)))};
  PL_TRY(fill_consolidated(r, ops, id, d));
  PL_TRY(source_statuses(r, ops, *m, {}, c.sources, !group));
  auto cm = commit_checked(r, *a, std::move(ops), now_ms);
  if (!cm) return cm.err();
  return to_hex(id);
}
}  // namespace

result<std::string> consolidate(replica& r, const consolidated_draft& c, std::uint64_t now_ms) {
  return add_consolidated(r, c, false, now_ms);
}

result<std::string> group_drafts(replica& r, const std::string& meeting_id, const std::vector<std::string>& question_ids,
                                 std::uint64_t now_ms) {
  consolidated_draft c;
  c.meeting = meeting_id;
  c.sources = question_ids;
  return add_consolidated(r, c, true, now_ms);
}

result<void> merge_group(replica& r, const std::string& group_id, const consolidated_draft& c, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto x = need_row(r, "consolidated_question", group_id, "group");
  if (!x) return x.err();
  if (x->text("status") != grouped) return make_error(errc::bad_state, "that group is already on the final question list");
  if (c.body.empty()) return make_error(errc::invalid_argument, "a question on the final list needs its wording");
  auto list = consolidated_list(r, hex_of(*x, "meeting"));
  if (!list) return list.err();
  auto pos = between(list->empty() ? std::string{} : list->back().position, {});
  if (!pos) return pos.err();
  auto sources = c.sources.empty() ? split_ids(x->text("sources")) : c.sources;
  std::vector<op> ops{set("consolidated_question", x->id, "status", str("listed")),
                      set("consolidated_question", x->id, "position", str(*pos)),
                      set("consolidated_question", x->id, "sources", str(join_ids(sources)))};
  consolidated_draft d = c;  // a group has no section or target of its own yet
  if (d.section.empty() && x->text("section").empty()) d.section = "In quarter";
  if (d.target.empty() && x->text("target").empty()) d.target = "PCC";
  PL_TRY(fill_consolidated(r, ops, x->id, d));
  PL_TRY(source_statuses(r, ops, bytes_of(*x, "meeting"), {}, sources));
  return commit_edit(r, *a, std::move(ops), now_ms);
}

result<void> edit_consolidated(replica& r, const std::string& id, const consolidated_draft& c, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto x = need_row(r, "consolidated_question", id, "consolidated question");
  if (!x) return x.err();
  std::vector<op> ops;
  PL_TRY(fill_consolidated(r, ops, x->id, c));
  if (!c.sources.empty()) {
    ops.push_back(set("consolidated_question", x->id, "sources", str(join_ids(c.sources))));
    PL_TRY(source_statuses(r, ops, bytes_of(*x, "meeting"), split_ids(x->text("sources")), c.sources,
                           x->text("status") != grouped));
  }
  return commit_edit(r, *a, std::move(ops), now_ms);
}

result<std::vector<std::string>> split_consolidated(replica& r, const std::string& id, const std::vector<std::string>& bodies,
                                                    std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  if (bodies.size() < 2) return make_error(errc::invalid_argument, "a split gives at least two questions");
  for (auto& b : bodies) PL_TRY(check_words(b, limits::max_question_words, "A question"));
  auto x = need_row(r, "consolidated_question", id, "consolidated question");
  if (!x) return x.err();
  auto list = consolidated_list(r, hex_of(*x, "meeting"));
  if (!list) return list.err();
  // The parts go between it and the next question (the next greater key:
  // moves made at once on two tablets can leave neighbours with one key).
  std::string next;
  for (auto& c : *list)
    if (c.position > x->text("position") && (next.empty() || c.position < next)) next = c.position;
  std::vector<op> ops;
  PL_TRY(add_text(r, ops, "consolidated_question", x->id, "body", bodies[0]));
  std::vector<std::string> ids{id};
  std::string prev = x->text("position");
  for (std::size_t i = 1; i < bodies.size(); ++i) {
    bytes nid = new_row_id();
    auto pos = between(prev, next);
    if (!pos) return pos.err();
    prev = *pos;
    for (const char* f : {"meeting", "section", "lead", "lead_label", "priority", "target", "sources", "status"})
      if (const value* v = x->get(f)) ops.push_back(set("consolidated_question", nid, f, *v));
    ops.push_back(set("consolidated_question", nid, "position", str(prev)));
    PL_TRY(add_text(r, ops, "consolidated_question", nid, "body", bodies[i]));
    ops.push_back(set("consolidated_question", nid, "created_by", a->member));
    ops.push_back(set("consolidated_question", nid, "created_at", num(static_cast<std::int64_t>(now_ms))));
    ids.push_back(to_hex(nid));
  }
  auto cm = commit_checked(r, *a, std::move(ops), now_ms);
  if (!cm) return cm.err();
  return ids;
}

result<void> move_consolidated(replica& r, const std::string& id, const std::string& after_id, const std::string& before_id,
                               std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto x = need_row(r, "consolidated_question", id, "consolidated question");
  if (!x) return x.err();
  std::string lo, hi;
  if (!after_id.empty()) {
    auto y = need_row(r, "consolidated_question", after_id, "consolidated question");
    if (!y) return y.err();
    lo = y->text("position");
  }
  if (!before_id.empty()) {
    auto y = need_row(r, "consolidated_question", before_id, "consolidated question");
    if (!y) return y.err();
    hi = y->text("position");
  }
  if (!lo.empty() && !hi.empty() && !(lo < hi)) {
    // Moves made at once on two tablets can leave neighbours with one key
    // (the list shows them by id): the question goes right after `after_id`.
    auto list = consolidated_list(r, hex_of(*x, "meeting"));
    if (!list) return list.err();
    hi.clear();
    for (auto& c : *list)
      if (c.position > lo && c.id != id && (hi.empty() || c.position < hi)) hi = c.position;
  }
  auto pos = between(lo, hi);
  if (!pos) return pos.err();
  auto cm = commit_checked(r, *a, {set("consolidated_question", x->id, "position", str(*pos))}, now_ms);
  if (!cm) return cm.err();
  return {};
}

result<void> remove_consolidated(replica& r, const std::string& id, std::uint64_t now_ms) {
  return tombstone(r, "consolidated_question", id, "consolidated question", now_ms);
}

result<void> unmerge(replica& r, const std::string& id, bool to_group, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto x = need_row(r, "consolidated_question", id, "consolidated question");
  if (!x) return x.err();
  if (x->text("status") == grouped) return make_error(errc::bad_state, "that group is not on the final question list");
  auto sources = split_ids(x->text("sources"));
  if (to_group && sources.size() < 2) return make_error(errc::invalid_argument, "a group has at least two drafts");
  std::vector<op> ops{to_group ? set("consolidated_question", x->id, "status", str(grouped))
                               : set("consolidated_question", x->id, "deleted", num(1))};
  // Its drafts are submitted again, unless something else has happened to them since.
  for (auto& s : sources) {
    auto q = need_row(r, "question", s, "question");
    if (!q) return q.err();
    if (q->text("status") == "consolidated") ops.push_back(set("question", q->id, "status", str("submitted")));
  }
  return commit_edit(r, *a, std::move(ops), now_ms);
}

}  // namespace packline::workflow
