// What a member reads: read marks and what changed since a member last read
// a document, and the annotations as a reader sees them, each anchor resolved
// against the pack's current text (exact, moved, text changed, orphaned).
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

// ---- what a member has read ------------------------------------------------

namespace {
bytes reading_id(const bytes& member, const bytes& meeting) { return derived_id("reading", member, to_hex(meeting)); }
}  // namespace

result<void> mark_read(replica& r, const std::string& pack_id, std::uint64_t now_ms) {
  auto a = me(r);
  if (!a) return a.err();
  auto p = need_row(r, "pack", pack_id, "pack version");
  if (!p) return p.err();
  bytes meeting = bytes_of(*p, "meeting");
  bytes id = reading_id(a->member, meeting);
  auto mark = seal_words(r, true, to_hex(p->id));
  if (!mark) return mark.err();
  return commit_edit(r, *a,
                     {set("reading", id, "member", a->member), set("reading", id, "meeting", meeting),
                      set("reading", id, "pack", std::move(*mark)), set("reading", id, "read_at", num(static_cast<std::int64_t>(now_ms)))},
                     now_ms);
}

result<reading> changed_since_read(replica& r, const std::string& meeting_id) {
  auto a = me(r);
  if (!a) return a.err();
  auto m = need_row(r, "meeting", meeting_id, "meeting");
  if (!m) return m.err();
  reading out;
  out.meeting = meeting_id;
  bytes current = bytes_of(*m, "pack");
  if (current.empty()) return out;
  out.current_pack = to_hex(current);
  auto cur = find_row(r, "pack", current);
  if (!cur) return cur.err();
  if (*cur) out.current_version = int_of(**cur, "version");
  auto mark = find_row(r, "reading", reading_id(a->member, m->id));
  if (!mark) return mark.err();
  if (!*mark || bytes_of(**mark, "member") != a->member) return out;
  // The mark opens only on the member's own devices (a value nobody can open
  // counts as never marked).
  std::string read = open_words(r, **mark, "pack");
  auto rp = id_arg(read, "pack version");
  if (!rp) return out;
  auto rrow = find_row(r, "pack", *rp);
  if (!rrow) return rrow.err();
  if (!*rrow || bytes_of(**rrow, "meeting") != m->id) return out;
  out.read_pack = read;
  out.read_version = int_of(**rrow, "version");
  if (*rp == current) return out;
  auto changed = pack_changes(r, read, out.current_pack);
  if (!changed) return changed.err();
  out.changed = std::move(*changed);
  return out;
}

namespace {

// Where does an anchor made on an earlier version sit in `cands` (the
// current version's blocks, same item first)?
void resolve(annotation& an, const row& ann, const std::optional<row>& old_block, const std::vector<cand>& cands) {
  (void)ann;
  const std::string quote = an.quote, prefix = an.prefix, suffix = an.suffix;  // opened if private
  const std::string hash = ann.text("block_hash");
  const bytes item = bytes_of(ann, "item");
  auto place = [&](anchor_status st, const row& b, std::size_t s, std::size_t e, const std::string& text) {
    an.status = st;
    an.block = to_hex(b.id);
    an.page = int_of(b, "page");
    an.cur_start = static_cast<std::int64_t>(s);
    an.cur_end = static_cast<std::int64_t>(e);
    an.current_text = text.substr(s, e - s);
  };
  // 1. Same paragraph text, same item, same offsets: exact (pages estimated
  // from text may shift when other text grows; they do not make it move).
  for (auto& c : cands) {
    if (c.r->text("hash") != hash || bytes_of(*c.r, "item") != item) continue;
    std::size_t s = static_cast<std::size_t>(an.start), e = static_cast<std::size_t>(an.end);
    if (e <= c.text.size() && c.text.compare(s, e - s, quote) == 0) {
      place(anchor_status::exact, *c.r, s, e, c.text);
      return;
    }
  }
  // 2. The quote with its context, elsewhere: moved.
  for (auto& c : cands) {
    auto at = c.text.find(prefix + quote + suffix);
    if (at == std::string::npos) continue;
    place(anchor_status::moved, *c.r, at + prefix.size(), at + prefix.size() + quote.size(), c.text);
    return;
  }
  // 3. The context around it survives but the words between changed. A side
  // shorter than min_ctx counts when it reached the paragraph's edge.
  constexpr std::size_t min_ctx = 8;
  const std::size_t old_size = old_block ? old_block->text("text").size() : std::string::npos;
  const bool pre_edge = prefix.size() < min_ctx && static_cast<std::size_t>(an.start) == prefix.size();
  const bool suf_edge = suffix.size() < min_ctx && old_size != std::string::npos &&
                        static_cast<std::size_t>(an.end) + suffix.size() == old_size;
  const bool pre_ok = prefix.size() >= min_ctx || pre_edge, suf_ok = suffix.size() >= min_ctx || suf_edge;
  if (pre_ok && suf_ok && (prefix.size() >= min_ctx || suffix.size() >= min_ctx)) {
    for (auto& c : cands) {
      std::size_t s = std::string::npos, e = std::string::npos;
      if (prefix.size() >= min_ctx) {
        auto p = c.text.find(prefix);
        if (p != std::string::npos) s = p + prefix.size();
      } else if (c.text.compare(0, prefix.size(), prefix) == 0) {
        s = prefix.size();
      }
      if (s == std::string::npos) continue;
      if (suffix.size() >= min_ctx) {
        auto q = c.text.find(suffix, s);
        if (q != std::string::npos) e = q;
      } else if (c.text.size() >= s + suffix.size() &&
                 c.text.compare(c.text.size() - suffix.size(), suffix.size(), suffix) == 0) {
        e = c.text.size() - suffix.size();
      }
      if (e == std::string::npos || e < s) continue;
      place(anchor_status::text_changed, *c.r, s, e, c.text);
      return;
    }
  }
  // 4. The quote alone, once, in the same item (a short quote is no evidence).
  if (quote.size() >= 12) {
    const cand* only = nullptr;
    std::size_t at = 0, hits = 0;
    for (auto& c : cands) {
      if (bytes_of(*c.r, "item") != item) continue;
      for (auto p = c.text.find(quote); p != std::string::npos; p = c.text.find(quote, p + 1)) {
        ++hits;
        only = &c;
        at = p;
      }
    }
    if (hits == 1) {
      place(anchor_status::moved, *only->r, at, at + quote.size(), only->text);
      return;
    }
  }
  an.status = anchor_status::orphaned;
  an.block.clear();
  an.page = 0;
  an.current_text.clear();
}

}  // namespace

result<std::vector<annotation>> annotations(replica& r, const std::string& meeting_id) {
  auto m = id_arg(meeting_id, "meeting");
  if (!m) return m.err();
  std::string me_id = signed_in_member(r);
  auto ps = priorities(r);
  if (!ps) return ps.err();
  std::set<std::string> my_groups;  // the priorities this member leads
  for (auto& p : *ps)
    if (std::find(p.leads.begin(), p.leads.end(), me_id) != p.leads.end()) my_groups.insert(p.id);
  auto rows = r.rows("annotation", "meeting", *m, "created_at");
  if (!rows) return rows.err();
  std::map<bytes, std::vector<row>> current;  // pack → blocks
  std::map<bytes, placement> placements;
  std::vector<annotation> out;
  for (auto& x : *rows) {
    annotation an;
    an.id = to_hex(x.id);
    an.meeting = meeting_id;
    an.item = hex_of(x, "item");
    an.author = hex_of(x, "author");
    an.kind = x.text("kind");
    an.visibility = x.text("visibility");
    an.priority = hex_of(x, "priority");
    // Private notes are for their author's devices only; a priority group's
    // for the leads of that priority.
    if (an.author != me_id && (an.visibility == "private" || (an.visibility == "priority" && !my_groups.count(an.priority))))
      continue;
    std::size_t hidden = 0;
    an.body = note_text(r, x, &hidden);
    auto quote = opened_words(r, x, "quote");
    an.quote = quote.value_or(std::string{});
    an.prefix = open_words(r, x, "prefix");
    an.suffix = open_words(r, x, "suffix");
    an.start = int_of(x, "start_offset");
    an.end = int_of(x, "end_offset");
    an.created_at = int_of(x, "created_at");
    an.edited_at = int_of(x, "edited_at");
    // Sealed to a group whose key this tablet does not hold (a lead's tablet
    // given none yet): listed as such, where it was made, words unread.
    if (!quote || (hidden && an.body.empty())) {
      an.locked = true;
      an.body.clear();
      an.block = hex_of(x, "block");
      if (auto b = find_row(r, "block", bytes_of(x, "block")); b && *b) an.page = int_of(**b, "page");
      out.push_back(std::move(an));
      continue;
    }
    auto it = find_row(r, "pack_item", bytes_of(x, "item"));
    if (!it) return it.err();
    bytes pk = *it ? bytes_of(**it, "pack") : bytes{};
    if (!current.count(pk)) {
      auto bs = pack_blocks(r, pk);
      if (!bs) return bs.err();
      current[pk] = std::move(*bs);
    }
    auto ob = find_row(r, "block", bytes_of(x, "block"));
    if (!ob) return ob.err();
    std::vector<cand> cands;
    bytes item = bytes_of(x, "item");
    for (auto& b : current[pk])
      if (bytes_of(b, "item") == item) cands.push_back({&b, b.text("text")});
    for (auto& b : current[pk])
      if (bytes_of(b, "item") != item) cands.push_back({&b, b.text("text")});
    resolve(an, x, *ob, cands);
    // The item the passage is in now (the clerk may have placed it in another).
    auto pl = placements.find(pk);
    if (pl == placements.end()) {
      auto p = placement_of(r, pk);
      if (!p) return p.err();
      pl = placements.emplace(pk, std::move(*p)).first;
    }
    if (!an.block.empty() && !pl->second.items.empty())
      for (auto& b : current[pk])
        if (to_hex(b.id) == an.block) an.item = to_hex(pl->second.owner(b));
    out.push_back(std::move(an));
  }
  return out;
}

result<annotation> annotation_by_id(replica& r, const std::string& annotation_id) {
  auto x = need_row(r, "annotation", annotation_id, "annotation");
  if (!x) return x.err();
  auto all = annotations(r, hex_of(*x, "meeting"));
  if (!all) return all.err();
  for (auto& a : *all)
    if (a.id == to_hex(x->id)) return std::move(a);
  return make_error(errc::not_found, "there is no such annotation you may read");
}

}  // namespace packline::workflow
