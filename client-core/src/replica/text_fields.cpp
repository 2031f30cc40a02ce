// The replica's long-text fields: each a text CRDT (crdt/text.hpp) kept per
// row and field, edited by ops that carry the edit, with characters sealed
// under their readers' key where the text is private.
#include "packline/replica/replica.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <set>
#include <unordered_map>

#include "packline/base/limits.hpp"
#include "packline/wire/codec.hpp"
#include "replica/db.hpp"
#include "replica/replica_keys.hpp"
#include "replica/store.hpp"

namespace packline {
using namespace detail;

result<text_doc*> replica::doc(const std::string& table, const bytes& row, const std::string& field) {
  std::string k = doc_key(table, row, field);
  auto it = docs_.find(k);
  if (it != docs_.end()) return &it->second;
  auto s = db_->prepare("SELECT doc FROM text_state WHERE tbl=?1 AND row=?2 AND field=?3");
  if (!s) return s.err();
  auto r = (*s)->bind(1, std::string_view(table)).bind(2, row).bind(3, std::string_view(field)).step();
  if (!r) return r.err();
  text_doc d;
  if (*r) {
    auto dec = text_doc::decode((*s)->column_blob(0));
    (*s)->reset();
    if (!dec) return make_error(errc::corrupt_replica, "a stored text is damaged");
    d = std::move(*dec);
  }
  (*s)->reset();
  return &docs_.emplace(std::move(k), std::move(d)).first->second;
}

result<void> replica::store_doc(const std::string& table, const bytes& row, const std::string& field) {
  auto d = doc(table, row, field);
  if (!d) return d.err();
  auto s = db_->prepare("INSERT INTO text_state(tbl, row, field, doc) VALUES(?1,?2,?3,?4) "
                        "ON CONFLICT(tbl, row, field) DO UPDATE SET doc = excluded.doc");
  if (!s) return s.err();
  PL_TRY((*s)->bind(1, std::string_view(table)).bind(2, row).bind(3, std::string_view(field)).bind(4, (*d)->encode()).run());
  // The column holds the open characters only (sealed ones under a slot's key stay in the text).
  return materialise(table, row, field,
                     (*d)->text([](const bytes&, std::uint64_t c, char32_t ch) { return slot_of(c) ? text_doc::text_skip : ch; }));
}

result<std::uint64_t> replica::edit_text(const std::string& table, const bytes& row, const std::string& field, std::size_t pos,
                                         std::size_t del, const std::string& insert, std::uint64_t now_ms) {
  if (row.size() != 16) return make_error(errc::invalid_argument, "a row id is 16 bytes");
  if (!long_text(table, field)) return make_error(errc::invalid_argument, table + "." + field + " is not long text");
  auto d = doc(table, row, field);
  if (!d) return d.err();
  std::vector<op> ops;
  auto add = [&](std::vector<text_op> tops) {
    for (auto& t : tops)
      ops.push_back(op{t.k == text_op::kind::insert ? op_kind::text_insert : op_kind::text_remove, table, row, field, {}, std::move(t), {}});
  };
  if (del) add((*d)->remove(pos, del));
  if (!insert.empty()) add((*d)->insert(device_id(), text_counter_, pos, insert));
  if (ops.empty()) return make_error(errc::invalid_argument, "the edit changes nothing");
  return commit(std::move(ops), now_ms);
}

result<std::vector<op>> replica::text_ops(const std::string& table, const bytes& row, const std::string& field,
                                          const std::string& text, const crypto::secret* key) {
  text_lock lock;
  lock.all = key;
  return edit_ops(table, row, field, text, lock, 0, false);
}

result<std::vector<op>> replica::keyed_text_ops(const std::string& table, const bytes& row, const std::string& field,
                                                const std::string& text, const text_keys& keys, std::uint32_t slot,
                                                bool retype) {
  if (slot >= (1u << (63 - text_slot_shift))) return make_error(errc::invalid_argument, "no such key slot");
  if (slot != 0 && !keys.count(slot)) return make_error(errc::no_key, "this tablet does not hold the key to write that text");
  text_lock lock;
  lock.slots = &keys;
  return edit_ops(table, row, field, text, lock, slot, retype);
}

result<std::vector<op>> replica::edit_ops(const std::string& table, const bytes& row, const std::string& field,
                                          const std::string& text, text_lock& lock, std::uint32_t slot, bool retype) {
  if (row.size() != 16) return make_error(errc::invalid_argument, "a row id is 16 bytes");
  if (!long_text(table, field)) return make_error(errc::invalid_argument, table + "." + field + " is not long text");
  auto cached = doc(table, row, field);
  if (!cached) return cached.err();
  // Edits are made on a copy: the caller may still decide not to commit them.
  text_doc scratch = **cached;
  text_doc* d = &scratch;
  const bool sealing = lock.all || lock.slots;
  std::u32string now = utf8_to_u32(sealing ? d->text([&](const bytes& a, std::uint64_t c, char32_t ch) { return lock.open(a, c, ch); })
                                           : d->text()),
                 want = utf8_to_u32(text);
  if (lock.hidden)  // positions would not match, and an edit would lose what it cannot read
    return make_error(errc::no_key, "this tablet cannot open all of this text yet, so it cannot change it");
  std::size_t pre = 0;
  while (!retype && pre < now.size() && pre < want.size() && now[pre] == want[pre]) ++pre;
  std::size_t suf = 0;
  while (!retype && suf < now.size() - pre && suf < want.size() - pre && now[now.size() - 1 - suf] == want[want.size() - 1 - suf]) ++suf;
  // The edit sits on word (best: line) boundaries, so a word another tablet
  // deletes at the same time takes none of this edit's letters along, and
  // two lines added at one place stay two lines. A pure insertion or removal
  // slides along equal letters to the best-placed spot ("Tom " typed before
  // "Tim" is not "om T" after "T"); a replacement widens to whole words.
  auto space = [](char32_t c) { return c == U' ' || c == U'\n' || c == U'\t'; };
  std::size_t n = now.size(), del = n - pre - suf, ins = want.size() - pre - suf;
  if (!retype && (del == 0) != (ins == 0)) {
    const std::u32string& base = del ? now : want;  // the text that holds the slid block
    std::size_t len = del ? del : ins, lo = pre, hi = pre;
    while (lo > 0 && base[lo - 1] == base[lo - 1 + len]) --lo;
    while (hi + len < base.size() && base[hi] == base[hi + len]) ++hi;
    auto score = [&](std::size_t at) {
      auto edge = [&](bool none, char32_t c) { return none || c == U'\n' ? 2 : space(c) ? 1 : 0; };
      return edge(at == 0, at ? base[at - 1] : 0) + edge(at + len == base.size(), base[at + len - 1]);
    };
    std::size_t best = pre;
    for (std::size_t at = lo; at <= hi; ++at)
      if (score(at) > score(best)) best = at;
    pre = best;
    suf = base.size() - best - len;
  } else if (!retype && del && ins) {
    while (pre > 0 && !space(now[pre - 1]) && (pre == n || !space(now[pre]))) --pre;
    while (suf > 0 && !space(now[n - suf]) && !space(now[n - suf - 1])) --suf;
  }
  std::vector<op> ops;
  auto add = [&](std::vector<text_op> tops) {
    for (auto& t : tops)
      ops.push_back(op{t.k == text_op::kind::insert ? op_kind::text_insert : op_kind::text_remove, table, row, field, {}, std::move(t), {}});
  };
  if (now.size() - pre - suf) add(d->remove(pre, now.size() - pre - suf));
  if (want.size() - pre - suf) {
    std::u32string typed = want.substr(pre, want.size() - pre - suf);
    std::uint64_t counter = (static_cast<std::uint64_t>(slot) << text_slot_shift) | text_counter_;
    if (sealing)
      for (std::size_t i = 0; i < typed.size(); ++i) typed[i] = lock.seal(device_id(), counter + i, typed[i], slot);
    add(d->insert(device_id(), counter, pre, u32_to_utf8(typed)));
    text_counter_ = counter & counter_mask;
  }
  return ops;
}

result<std::uint64_t> replica::set_text(const std::string& table, const bytes& row, const std::string& field,
                                        const std::string& text, std::uint64_t now_ms) {
  auto ops = text_ops(table, row, field, text);
  if (!ops) return ops.err();
  if (ops->empty()) return make_error(errc::invalid_argument, "the text is unchanged");
  return commit(std::move(*ops), now_ms);
}

std::string replica::text(const std::string& table, const bytes& row, const std::string& field, const crypto::secret* key) {
  if (!long_text(table, field)) return {};
  auto d = doc(table, row, field);
  if (!d) return {};
  text_lock lock;
  lock.all = key;
  static const text_keys none;
  if (!key) lock.slots = &none;
  return (*d)->text([&](const bytes& a, std::uint64_t c, char32_t ch) { return lock.open(a, c, ch); });
}

std::string replica::keyed_text(const std::string& table, const bytes& row, const std::string& field, const text_keys& keys,
                                std::size_t* hidden) {
  if (hidden) *hidden = 0;
  if (!long_text(table, field)) return {};
  auto d = doc(table, row, field);
  if (!d) return {};
  text_lock lock;
  lock.slots = &keys;
  std::string out = (*d)->text([&](const bytes& a, std::uint64_t c, char32_t ch) { return lock.open(a, c, ch); });
  if (hidden) *hidden = lock.hidden;
  return out;
}

}  // namespace packline
