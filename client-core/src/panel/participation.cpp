// The panel's own rules (settings) and public participation: questions from
// the public, the deadline to send them, and which are accepted.
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

// ---- panel rules and public participation ---------------------------------

panel_rules rules_of(replica& r) {
  panel_rules p;
  auto rows = r.rows("panel_setting");
  if (!rows) return p;
  for (auto& x : *rows) {
    std::string k = x.text("key"), v = x.text("value");
    auto as_int = [&](std::int64_t& to) {
      char* end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (end && *end == '\0' && !v.empty() && n >= 0) to = n;
    };
    if (k == "questions_per_councillor") as_int(p.questions_per_councillor);
    else if (k == "subparts_count") p.subparts_count = v != "false" && v != "0";
    else if (k == "public_max_words") as_int(p.public_max_words);
    else if (k == "public_per_person") as_int(p.public_per_person);
    else if (k == "public_accept_first") as_int(p.public_accept_first);
    else if (k == "public_deadline_rule") p.public_deadline_rule = v;
  }
  return p;
}

result<void> set_rule(replica& r, const std::string& key, const std::string& v, std::uint64_t now_ms) {
  static const std::set<std::string> keys = {"questions_per_councillor", "subparts_count", "public_max_words",
                                             "public_per_person", "public_accept_first", "public_deadline_rule"};
  if (!keys.count(key)) return make_error(errc::invalid_argument, "no panel rule called " + key);
  auto a = me(r);
  if (!a) return a.err();
  bytes id = derived_id("panel_setting", {}, key);
  auto c = commit_checked(r, *a, {set("panel_setting", id, "key", str(key)), set("panel_setting", id, "value", str(v))}, now_ms);
  if (!c) return c.err();
  return {};
}

result<std::string> public_deadline(replica& r, const std::string& meeting_id) {
  auto m = meeting_by_id(r, meeting_id);
  if (!m) return m.err();
  if (!m->public_deadline.empty()) return m->public_deadline;
  int y, mo, d;
  if (std::sscanf(m->date.c_str(), "%d-%d-%d", &y, &mo, &d) != 3)
    return make_error(errc::bad_state, "the meeting has no date, so it has no deadline");
  // "monday-before 08:30": the Monday before the meeting, at that time.
  std::string rule = rules_of(r).public_deadline_rule;
  std::string at = rule.size() >= 5 ? rule.substr(rule.size() - 5) : "08:30";
  std::int64_t days = days_from_civil(y, mo, d) - 1;
  while (weekday(days) != 0) --days;
  civil_from_days(days, y, mo, d);
  return std::to_string(y) + "-" + two(mo) + "-" + two(d) + " " + at;
}

result<std::vector<submission>> submissions(replica& r, const std::string& meeting_id) {
  auto m = id_arg(meeting_id, "meeting");
  if (!m) return m.err();
  auto rows = r.rows("public_submission", "meeting", *m, "received_at");
  if (!rows) return rows.err();
  panel_rules pr = rules_of(r);
  auto dl = public_deadline(r, meeting_id);
  std::optional<std::int64_t> deadline_ms = dl ? uk_local_to_ms(*dl) : std::nullopt;
  std::vector<submission> out;
  std::map<std::string, std::int64_t> per_person, per_kind;
  for (auto& x : *rows) {
    submission s;
    s.id = to_hex(x.id);
    s.meeting = meeting_id;
    s.name = x.text("name");
    s.kind = x.text("kind");
    s.body = x.text("body");
    s.words = int_of(x, "words");
    s.received_at = int_of(x, "received_at");
    if (s.words > pr.public_max_words)
      s.reason = "it has " + std::to_string(s.words) + " words; the limit is " + std::to_string(pr.public_max_words);
    else if (deadline_ms && s.received_at > *deadline_ms)
      s.reason = "it arrived after the deadline (" + *dl + ")";
    else if (per_person[name_key(s.name)] >= pr.public_per_person)
      s.reason = pr.public_per_person == 1 ? "one question or statement per person per meeting"
                                           : "at most " + std::to_string(pr.public_per_person) + " per person per meeting";
    else if (per_kind[s.kind] >= pr.public_accept_first)
      s.reason = "the first " + std::to_string(pr.public_accept_first) + " " + s.kind + "s were already accepted";
    s.accepted = s.reason.empty();
    if (s.accepted) {
      ++per_person[name_key(s.name)];
      ++per_kind[s.kind];
    }
    out.push_back(std::move(s));
  }
  return out;
}

result<submission> record_submission(replica& r, const submission_draft& d, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto m = id_arg(d.meeting, "meeting");
  if (!m) return m.err();
  if (d.kind != "question" && d.kind != "statement")
    return make_error(errc::invalid_argument, "a public submission is a question or a statement");
  if (d.name.empty() || d.body.empty()) return make_error(errc::invalid_argument, "a submission needs a name and its text");
  bytes id = new_row_id();
  auto c = commit_checked(r, *a,
                          {set("public_submission", id, "meeting", *m), set("public_submission", id, "name", str(d.name)),
                           set("public_submission", id, "kind", str(d.kind)), set("public_submission", id, "body", str(d.body)),
                           set("public_submission", id, "words", num(pack::count_words(d.body))),
                           set("public_submission", id, "received_at", num(d.received_at)),
                           set("public_submission", id, "created_by", a->member),
                           set("public_submission", id, "created_at", num(static_cast<std::int64_t>(now_ms)))},
                          now_ms);
  if (!c) return c.err();
  auto all = submissions(r, d.meeting);
  if (!all) return all.err();
  for (auto& s : *all)
    if (s.id == to_hex(id)) return s;
  return make_error(errc::storage, "the submission was not recorded");
}

}  // namespace packline::workflow
