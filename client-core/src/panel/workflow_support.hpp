// What the workflow's files share: reading fields of rows, ids every replica
// derives alike, who is writing and the rules every op passes before it
// commits (commit_checked), long text as text CRDT edits, word limits, and
// civil dates. Private to the panel layer.
#pragma once
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "packline/base/fractional.hpp"
#include "packline/base/limits.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/panel/workflow.hpp"
#include "packline/rules/rules.hpp"

namespace packline::workflow::detail {

// ---- small helpers --------------------------------------------------------

// "5 - 14", or "5" for one page.
inline std::string range_of(std::int64_t a, std::int64_t b) {
  return a == b ? std::to_string(a) : std::to_string(a) + " - " + std::to_string(b);
}


inline std::string hex_of(const row& r, std::string_view f) {
  const value* v = r.get(f);
  return v && std::holds_alternative<bytes>(*v) ? to_hex(std::get<bytes>(*v)) : std::string{};
}
inline bytes bytes_of(const row& r, std::string_view f) {
  const value* v = r.get(f);
  return v && std::holds_alternative<bytes>(*v) ? std::get<bytes>(*v) : bytes{};
}
inline std::int64_t int_of(const row& r, std::string_view f, std::int64_t dflt = 0) {
  const value* v = r.get(f);
  if (v && std::holds_alternative<std::int64_t>(*v)) return std::get<std::int64_t>(*v);
  if (v && std::holds_alternative<bool>(*v)) return std::get<bool>(*v) ? 1 : 0;
  return dflt;
}
inline result<bytes> id_arg(const std::string& hex, const char* what) {
  bytes b = from_hex(hex);
  if (b.size() != 16)
    return make_error(errc::invalid_argument, hex.empty() ? std::string("choose the ") + what + " first"
                                                          : std::string("that ") + what + " is not known on this tablet");
  return b;
}
inline op set(const char* table, const bytes& row, const char* field, value v) { return set_op(table, row, field, std::move(v)); }
inline value str(std::string s) { return value{std::move(s)}; }
inline value num(std::int64_t v) { return value{v}; }

// Ids that every replica derives alike (agenda items by meeting and number,
// blocks by pack and index, settings by key), so re-imports update in place.
inline bytes derived_id(std::string_view kind, const bytes& scope, std::string_view key) {
  bytes in = to_bytes(kind);
  in.push_back(0);
  append(in, scope);
  in.push_back(0);
  append(in, key);
  bytes h = crypto::sha256(in);
  h.resize(16);
  return h;
}

inline std::vector<std::string> split_ids(const std::string& s) {
  std::vector<std::string> out;
  std::size_t from = 0;
  while (from < s.size()) {
    auto c = s.find(',', from);
    std::string id = s.substr(from, c == std::string::npos ? std::string::npos : c - from);
    if (!id.empty()) out.push_back(id);
    if (c == std::string::npos) break;
    from = c + 1;
  }
  return out;
}
inline std::string join_ids(const std::vector<std::string>& ids) {
  std::string s;
  for (auto& i : ids) {
    if (!s.empty()) s += ',';
    s += i;
  }
  return s;
}

inline std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A name as the panel compares it: "Cllr Mike Short" is "mike short".
inline std::string name_key(std::string s) {
  s = lower(pack::normalise(s));
  for (const char* t : {"cllr ", "councillor "})
    if (s.rfind(t, 0) == 0) s = s.substr(std::string_view(t).size());
  return s;
}

inline result<std::optional<row>> find_row(replica& r, const std::string& table, const bytes& id) {
  auto rows = r.rows(table, "id", id);
  if (!rows) return rows.err();
  if (rows->empty()) return std::optional<row>{};
  return std::optional<row>{std::move(rows->front())};
}

inline result<row> need_row(replica& r, const std::string& table, const std::string& hex, const char* what) {
  auto id = id_arg(hex, what);
  if (!id) return id.err();
  auto f = find_row(r, table, *id);
  if (!f) return f.err();
  if (!*f) return make_error(errc::not_found, std::string("there is no such ") + what);
  return std::move(**f);
}

// ---- who is writing, and the rules ---------------------------------------

struct actor {
  bytes member;
  rules::role role = rules::role::none;
  std::string name;
};

inline result<actor> me(replica& r) {
  std::string id = signed_in_member(r);
  if (id.empty()) return make_error(errc::bad_state, "sign in as a panel member first");
  auto m = need_row(r, "member", id, "member");
  if (!m) return make_error(errc::bad_state, "the member signed in on this device is not on this panel");
  return actor{m->id, rules::parse_role(m->text("role")), m->text("name")};
}

// Runs every op through rules::check with what the replica knows of its row.
inline result<void> check_ops(replica& r, const actor& a, const std::vector<op>& ops) {
  std::map<std::pair<std::string, bytes>, std::optional<row>> cache;
  std::optional<bool> has_clerk;
  for (const op& o : ops) {
    rules::row_change c;
    c.table = o.table;
    c.row = o.row;
    c.field = o.field;
    c.val = o.val;
    c.actor = a.member;
    const char* af = rules::author_field(o.table);
    c.names_author = af && rules::sets_field(ops, o.table, o.row, af);
    if (af || o.table == "member") {
      auto key = std::make_pair(o.table, o.row);
      auto it = cache.find(key);
      if (it == cache.end()) {
        // A deleted row still names its author: bringing it back is theirs alone.
        auto f = r.rows(o.table, "id", o.row, {}, true);
        if (!f) return f.err();
        it = cache.emplace(key, f->empty() ? std::optional<row>{} : std::optional<row>{std::move(f->front())}).first;
      }
      if (it->second) {
        c.row_exists = true;
        if (af) c.row_author = bytes_of(*it->second, af);
      }
    }
    if (o.table == "member" && o.field == "role") {
      if (!has_clerk) {
        auto ms = r.rows("member", "role", str("clerk"));
        if (!ms) return ms.err();
        has_clerk = !ms->empty();
      }
      c.panel_has_clerk = *has_clerk;
    }
    if (o.table == "kloe") {
      bytes pri = rules::kloe_priority(c.row_exists ? bytes_of(*cache[{o.table, o.row}], "priority") : bytes{}, ops, o.row);
      auto pr = find_row(r, "priority", pri);
      if (!pr) return pr.err();
      if (*pr) c.leads = rules::lead_ids((*pr)->text("leads"));
    }
    PL_TRY(rules::check(c, a.role));
  }
  return {};
}

inline result<std::uint64_t> commit_checked(replica& r, const actor& a, std::vector<op> ops, std::uint64_t now_ms) {
  PL_TRY(check_ops(r, a, ops));
  return r.commit(std::move(ops), now_ms);
}

// Commits an edit (nothing when there is nothing to change).
inline result<void> commit_edit(replica& r, const actor& a, std::vector<op> ops, std::uint64_t now_ms) {
  if (ops.empty()) return {};
  auto c = commit_checked(r, a, std::move(ops), now_ms);
  if (!c) return c.err();
  return {};
}
// An edit call's field: left as it is when the caller gives no value.
inline void set_given(std::vector<op>& ops, const char* table, const bytes& row, const char* field, const std::string& v) {
  if (!v.empty()) ops.push_back(set(table, row, field, str(v)));
}

// Deletes a row (a tombstone), as the rules allow the signed-in member.
inline result<void> tombstone(replica& r, const char* table, const std::string& id, const char* what, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto x = need_row(r, table, id, what);
  if (!x) return x.err();
  return commit_edit(r, *a, {set(table, x->id, "deleted", num(1))}, now_ms);
}

// Long text (bodies, bullets) is a text CRDT field: the edit from its current
// text to `text`, so concurrent edits of one draft merge instead of one
// overwriting the other.
inline result<void> add_text(replica& r, std::vector<op>& ops, const char* table, const bytes& row, const char* field,
                      const std::string& text, const crypto::secret* key = nullptr) {
  auto t = r.text_ops(table, row, field, text, key);
  if (!t) return t.err();
  for (auto& o : *t) ops.push_back(std::move(o));
  return {};
}

// The limits on long text, in words (limits.hpp), with the count in the message.
inline std::string thousands(std::int64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}
inline result<void> check_words(const std::string& text, std::int64_t max, const char* what) {
  std::int64_t n = pack::count_words(text);
  if (n <= max) return {};
  return make_error(errc::invalid_argument, std::string(what) + " can have at most " + thousands(max) + " words; this one has " +
                                                thousands(n) + ". Shorten it and save again.");
}

// A position key between two neighbours of an ordered list ("" = an end).
inline result<std::string> between(const std::string& lo, const std::string& hi) { return key_between(lo, hi); }

// ---- dates and times (UK local time for deadlines) ------------------------

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
inline std::int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
inline void civil_from_days(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}
inline int weekday(std::int64_t days) { return static_cast<int>(((days % 7) + 10) % 7); }  // 0 = Monday (1970-01-01 was a Thursday)
inline std::int64_t last_sunday(int y, int m) {
  std::int64_t d = days_from_civil(y, m, 31);
  while (weekday(d) != 6) --d;
  return d;
}
inline std::string two(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }

// ---- anchors --------------------------------------------------------------

constexpr std::size_t context_bytes = 32;  // prefix/suffix kept around a quote

// Cut to a UTF-8 character boundary.
inline std::size_t char_start(const std::string& s, std::size_t i) {
  while (i > 0 && i < s.size() && (static_cast<unsigned char>(s[i]) & 0xc0) == 0x80) --i;
  return std::min(i, s.size());
}

struct cand { const row* r; std::string text; };

// ---- shared by more than one part ------------------------------------------

// Answers a pack records (minutes, question-and-answer appendices) as
// responses of their meeting (after_meeting.cpp).
result<void> import_answers(replica& r, const pack::parsed& p, const bytes& meeting, const bytes& member,
                            std::uint64_t now_ms, std::vector<op>& ops, import_report& rep);

// A group is a consolidated_question row with status "grouped": drafts put
// together, not merged yet, not on the list.
constexpr const char* grouped = "grouped";

// A question's words are sealed to its author while it is a draft made in a
// secured panel (sealed_words; replica::words_key); on submit the author
// discloses the draft's key (words_key) and every member reads them. The
// key, empty when the words are open; errc::no_key on another member's
// device before that.
inline result<crypto::secret> words_key_of(replica& r, const row& x) {
  if (int_of(x, "sealed_words") != 1) return crypto::secret{};
  const value* k = x.get("words_key");
  if (k && std::holds_alternative<bytes>(*k) && std::get<bytes>(*k).size() == crypto::aead_key_bytes)
    return crypto::secret(std::get<bytes>(*k));
  return r.words_key(bytes_of(x, "author"), x.id);
}

// The question's words, or nullopt where this device may not read them.
inline std::optional<std::string> words_of(replica& r, const row& x) {
  auto k = words_key_of(r, x);
  if (!k) return std::nullopt;
  if (k->empty()) return x.text("body");
  return r.text("question", x.id, "body", &*k);
}

inline block_view to_block(const row& x) {
  return {to_hex(x.id), hex_of(x, "item"), x.text("kind"), x.text("text"), x.text("hash"), int_of(x, "page"),
          int_of(x, "position")};
}
inline result<std::vector<row>> pack_blocks(replica& r, const bytes& pack_id) { return r.rows("block", "pack", pack_id, "position"); }

inline std::set<std::string> word_set(const std::string& s) {
  std::set<std::string> out;
  std::string w;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!w.empty()) out.insert(std::exchange(w, {}));
  }
  if (!w.empty()) out.insert(w);
  return out;
}
inline double similarity(const std::string& a, const std::string& b) {
  auto x = word_set(a), y = word_set(b);
  if (x.empty() && y.empty()) return 1;
  std::size_t common = 0;
  for (auto& w : x) common += y.count(w);
  return static_cast<double>(common) / static_cast<double>(x.size() + y.size() - common);
}

// Items whose pages the clerk chose in the reader: a passage on such a page
// is that item's (the narrowest range first), others stay with the item the
// import gave them. Derived from replicated rows when read, so every tablet
// shows the same agenda whatever order the clerk's changes arrive in.
struct placement {
  struct placed { bytes id; std::int64_t first, last, position; };
  std::vector<placed> items;
  bytes owner(const row& block) const {
    std::int64_t page = int_of(block, "page");
    const placed* best = nullptr;
    for (auto& p : items)
      if (page >= p.first && page <= p.last &&
          (!best || std::make_tuple(p.last - p.first, p.position, p.id) < std::make_tuple(best->last - best->first, best->position, best->id)))
        best = &p;
    return best ? best->id : bytes_of(block, "item");
  }
};
inline result<placement> placement_of(replica& r, const bytes& pack_id) {
  placement out;
  if (pack_id.empty()) return out;
  auto xs = r.rows("pack_item", "pack", pack_id);
  if (!xs) return xs.err();
  for (auto& x : *xs)
    if (int_of(x, "placed") != 0 && int_of(x, "removed") == 0 && int_of(x, "first_page") > 0)
      out.items.push_back({x.id, int_of(x, "first_page"), int_of(x, "last_page"), int_of(x, "position")});
  return out;
}

}  // namespace packline::workflow::detail
