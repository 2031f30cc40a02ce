// Meetings and their agenda items, the clerk's corrections to an agenda, and
// UK local time for the deadlines a pack states.
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

std::optional<std::int64_t> uk_local_to_ms(const std::string& s) {
  int y, mo, d, h = 0, mi = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%d %d:%d", &y, &mo, &d, &h, &mi) < 3) return std::nullopt;
  std::int64_t days = days_from_civil(y, mo, d);
  std::int64_t utc = (days * 86400 + h * 3600 + mi * 60) * 1000;
  // BST from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October.
  std::int64_t start = (last_sunday(y, 3) * 86400 + 3600) * 1000, end = (last_sunday(y, 10) * 86400 + 3600) * 1000;
  std::int64_t guess = utc - 3600 * 1000;
  if (guess >= start && guess < end) utc = guess;
  return utc;
}
// ---- meetings and items ---------------------------------------------------

namespace {
meeting to_meeting(const row& x) {
  meeting m;
  m.id = to_hex(x.id);
  m.title = x.text("title");
  m.date = x.text("date");
  m.time = x.text("time");
  m.venue = x.text("venue");
  m.kind = x.text("kind");
  m.status = x.text("status");
  m.body = x.text("body");
  m.chair = x.text("chair");
  m.vice_chair = x.text("vice_chair");
  m.public_deadline = x.text("public_deadline");
  m.pack = hex_of(x, "pack");
  m.quorum = int_of(x, "quorum");
  return m;
}
agenda_item to_item(const row& x) {
  agenda_item it;
  it.id = to_hex(x.id);
  it.meeting = hex_of(x, "meeting");
  it.number = x.text("number");
  it.title = x.text("title");
  it.pages = x.text("pages");
  it.description = x.text("description");
  it.exempt = int_of(x, "exempt") != 0;
  it.first_page = int_of(x, "first_page");
  it.last_page = int_of(x, "last_page");
  it.document = x.text("document");
  it.removed = int_of(x, "removed") != 0;
  it.placed = int_of(x, "placed") != 0;
  return it;
}
}  // namespace

result<std::vector<meeting>> meetings(replica& r) {
  auto rows = r.rows("meeting", {}, {}, "date");
  if (!rows) return rows.err();
  std::vector<meeting> out;
  for (auto& x : *rows) out.push_back(to_meeting(x));
  return out;
}

result<meeting> meeting_by_id(replica& r, const std::string& meeting_id) {
  auto m = need_row(r, "meeting", meeting_id, "meeting");
  if (!m) return m.err();
  return to_meeting(*m);
}

result<std::vector<agenda_item>> items(replica& r, const std::string& meeting_id, bool include_removed) {
  auto m = id_arg(meeting_id, "meeting");
  if (!m) return m.err();
  auto rows = r.rows("pack_item", "meeting", *m, "position");
  if (!rows) return rows.err();
  std::vector<agenda_item> out;
  for (auto& x : *rows) {
    auto it = to_item(x);
    if (it.removed && !include_removed) continue;
    it.meeting = meeting_id;
    out.push_back(std::move(it));
  }
  return out;
}

// ---- the clerk's corrections to an agenda ---------------------------------

namespace {

// The signed-in clerk (the rules check each op again; this says it plainly first).
result<actor> clerk(replica& r) {
  auto a = me(r);
  if (!a) return a.err();
  if (a->role != rules::role::clerk) return make_error(errc::forbidden, "only the clerk corrects the agenda");
  return a;
}

// A correction kept for the next version: one row per item and field.
void keep_correction(std::vector<op>& ops, const actor& a, const bytes& meeting, const bytes& item, const char* field,
                     const std::string& v, std::uint64_t now_ms, const std::string& anchor = {}) {
  bytes id = derived_id("agenda_correction", item, field);
  ops.push_back(set("agenda_correction", id, "meeting", meeting));
  ops.push_back(set("agenda_correction", id, "item", item));
  ops.push_back(set("agenda_correction", id, "field", str(field)));
  ops.push_back(set("agenda_correction", id, "value", str(v)));
  ops.push_back(set("agenda_correction", id, "anchor", str(anchor)));
  ops.push_back(set("agenda_correction", id, "created_by", a.member));
  ops.push_back(set("agenda_correction", id, "created_at", num(static_cast<std::int64_t>(now_ms))));
}

// Positions 1..n for the meeting's items with `item` after `after` ("" : first).
result<void> place_after(replica& r, std::vector<op>& ops, const bytes& meeting, const bytes& item, const bytes& after) {
  auto xs = r.rows("pack_item", "meeting", meeting, "position");
  if (!xs) return xs.err();
  std::vector<const row*> order;
  const row* self = nullptr;
  for (auto& x : *xs) {
    if (int_of(x, "removed") != 0) continue;
    if (x.id == item) self = &x;
    else order.push_back(&x);
  }
  auto to = order.begin();
  if (!after.empty()) {
    to = std::find_if(order.begin(), order.end(), [&](const row* x) { return x->id == after; });
    if (to == order.end()) return make_error(errc::not_found, "the item to place it after is not on this agenda");
    ++to;
  }
  order.insert(to, self);
  for (std::size_t k = 0; k < order.size(); ++k) {
    auto pos = static_cast<std::int64_t>(k + 1);
    if (!order[k]) ops.push_back(set("pack_item", item, "position", num(pos)));
    else if (int_of(*order[k], "position") != pos) ops.push_back(set("pack_item", order[k]->id, "position", num(pos)));
  }
  return {};
}

result<row> item_row(replica& r, const std::string& item_id) { return need_row(r, "pack_item", item_id, "agenda item"); }

}  // namespace

result<std::string> add_item(replica& r, const std::string& meeting_id, const std::string& number, const std::string& title,
                             const std::string& after_item, std::uint64_t now_ms) {
  auto a = clerk(r);
  if (!a) return a.err();
  auto m = need_row(r, "meeting", meeting_id, "meeting");
  if (!m) return m.err();
  std::string t = pack::normalise(title);
  if (t.empty()) return make_error(errc::invalid_argument, "an agenda item needs a title");
  bytes after;
  if (!after_item.empty()) {
    auto x = item_row(r, after_item);
    if (!x) return x.err();
    after = x->id;
  }
  bytes id = new_row_id();
  auto now = static_cast<std::int64_t>(now_ms);
  std::string n = pack::normalise(number);
  std::vector<op> ops{set("pack_item", id, "meeting", m->id),     set("pack_item", id, "pack", bytes_of(*m, "pack")),
                      set("pack_item", id, "number", str(n)),     set("pack_item", id, "title", str(t)),
                      set("pack_item", id, "pages", str("")),     set("pack_item", id, "first_page", num(0)),
                      set("pack_item", id, "last_page", num(0)),  set("pack_item", id, "exempt", num(0)),
                      set("pack_item", id, "removed", num(0)),    set("pack_item", id, "placed", num(0)),
                      set("pack_item", id, "created_by", a->member), set("pack_item", id, "created_at", num(now))};
  PL_TRY(place_after(r, ops, m->id, id, after));
  keep_correction(ops, *a, m->id, id, "added", "1", now_ms);
  keep_correction(ops, *a, m->id, id, "number", n, now_ms);
  keep_correction(ops, *a, m->id, id, "title", t, now_ms);
  keep_correction(ops, *a, m->id, id, "position", after.empty() ? std::string{} : to_hex(after), now_ms);
  auto c = commit_checked(r, *a, std::move(ops), now_ms);
  if (!c) return c.err();
  return to_hex(id);
}

result<void> rename_item(replica& r, const std::string& item_id, const std::string& number, const std::string& title,
                         std::uint64_t now_ms) {
  auto a = clerk(r);
  if (!a) return a.err();
  auto x = item_row(r, item_id);
  if (!x) return x.err();
  bytes meeting = bytes_of(*x, "meeting");
  std::vector<op> ops;
  std::string n = pack::normalise(number), t = pack::normalise(title);
  if (!n.empty() && n != x->text("number")) {
    ops.push_back(set("pack_item", x->id, "number", str(n)));
    keep_correction(ops, *a, meeting, x->id, "number", n, now_ms);
  }
  if (!t.empty() && t != x->text("title")) {
    ops.push_back(set("pack_item", x->id, "title", str(t)));
    keep_correction(ops, *a, meeting, x->id, "title", t, now_ms);
  }
  return commit_edit(r, *a, std::move(ops), now_ms);
}

result<void> move_item(replica& r, const std::string& item_id, const std::string& after_item, std::uint64_t now_ms) {
  auto a = clerk(r);
  if (!a) return a.err();
  auto x = item_row(r, item_id);
  if (!x) return x.err();
  bytes after;
  if (!after_item.empty()) {
    auto y = item_row(r, after_item);
    if (!y) return y.err();
    if (y->id == x->id) return make_error(errc::invalid_argument, "an item cannot follow itself");
    after = y->id;
  }
  bytes meeting = bytes_of(*x, "meeting");
  std::vector<op> ops;
  PL_TRY(place_after(r, ops, meeting, x->id, after));
  keep_correction(ops, *a, meeting, x->id, "position", after.empty() ? std::string{} : to_hex(after), now_ms);
  return commit_edit(r, *a, std::move(ops), now_ms);
}

result<void> set_item_pages(replica& r, const std::string& item_id, std::int64_t first, std::int64_t last, std::uint64_t now_ms) {
  auto a = clerk(r);
  if (!a) return a.err();
  auto x = item_row(r, item_id);
  if (!x) return x.err();
  auto pk = find_row(r, "pack", bytes_of(*x, "pack"));
  if (!pk) return pk.err();
  std::int64_t pages = *pk ? int_of(**pk, "pages") : 0;
  if (!*pk || pages <= 0 || int_of(**pk, "pages_exact") == 0)
    return make_error(errc::invalid_argument, "this pack has no page breaks, so its items cannot be placed by page");
  if (first < 1 || last < first) return make_error(errc::invalid_argument, "an item's last page cannot come before its first");
  if (last > pages) return make_error(errc::invalid_argument, "the pack has only " + std::to_string(pages) + " pages");
  // The first page's text identifies that page in a revised version.
  std::string text;
  auto bs = r.rows("block", "pack", (*pk)->id, "position");
  if (!bs) return bs.err();
  for (auto& b : *bs)
    if (int_of(b, "page") == first && b.text("kind") != "page_marker") text += b.text("text") + "\n";
  std::string anchor = pack::text_hash(text);
  bytes meeting = bytes_of(*x, "meeting");
  std::vector<op> ops{set("pack_item", x->id, "first_page", num(first)), set("pack_item", x->id, "last_page", num(last)),
                      set("pack_item", x->id, "pages", str(range_of(first, last))), set("pack_item", x->id, "placed", num(1))};
  keep_correction(ops, *a, meeting, x->id, "pages", std::to_string(first) + "-" + std::to_string(last), now_ms, anchor);
  return commit_edit(r, *a, std::move(ops), now_ms);
}

result<void> set_item_exempt(replica& r, const std::string& item_id, bool exempt, std::uint64_t now_ms) {
  auto a = clerk(r);
  if (!a) return a.err();
  auto x = item_row(r, item_id);
  if (!x) return x.err();
  std::vector<op> ops{set("pack_item", x->id, "exempt", num(exempt ? 1 : 0))};
  keep_correction(ops, *a, bytes_of(*x, "meeting"), x->id, "exempt", exempt ? "1" : "0", now_ms);
  return commit_edit(r, *a, std::move(ops), now_ms);
}

}  // namespace packline::workflow
