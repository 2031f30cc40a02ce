// Text CRDT (see text.hpp). Runs of chars live in an arena; document order is
// a list of blocks of run indices (each block caches its visible length), so
// finding a position costs O(blocks + block size) and an id lookup is a map
// search per device. Integration of concurrent inserts follows YATA exactly as
// Yjs does, at run granularity, with ties broken by the devices' key bytes.
#include "packline/crdt/text.hpp"

#include "packline/base/byte_reader.hpp"
#include "packline/base/compress.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_set>

namespace packline {
namespace {

// Runs per block before it splits: small enough that the linear scans inside a
// block stay in cache, large enough that the block list stays short.
constexpr std::size_t max_block_runs = 64;

// Encodings above this size are deflated: a question body stays plain (and
// cheap to write per keystroke), a long document shrinks by about 60%.
constexpr std::size_t deflate_above = 1024;

// Largest text encoding a device will inflate (a year of one long document).
constexpr std::uint64_t max_encoded_text = 64u << 20;

std::uint64_t zigzag(std::int64_t v) { return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63); }
std::int64_t unzigzag(std::uint64_t v) { return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1); }


}  // namespace

std::u32string utf8_to_u32(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    char32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    bool bad = n == 0 || i + n > s.size();
    for (int k = 1; !bad && k < n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 2) bad = true;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (!bad && ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                 (cp >= 0xd800 && cp <= 0xdfff)))
      bad = true;
    if (bad) {
      out.push_back(0xfffd);
      ++i;
    } else {
      out.push_back(cp);
      i += n;
    }
  }
  return out;
}

std::string u32_to_utf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) {
    if (c < 0x80) out.push_back(static_cast<char>(c));
    else if (c < 0x800) {
      out.push_back(static_cast<char>(0xc0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xe0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    } else {
      out.push_back(static_cast<char>(0xf0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3f)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    }
  }
  return out;
}

text_doc::text_doc() {
  blocks_.push_back({});
  order_.push_back(0);
}

std::uint32_t text_doc::agent_of(const bytes& actor) {
  std::string key(actor.begin(), actor.end());
  auto it = agent_index_.find(key);
  if (it != agent_index_.end()) return it->second;
  auto idx = static_cast<std::uint32_t>(agents_.size());
  agents_.push_back(actor);
  agent_index_.emplace(std::move(key), idx);
  by_agent_.emplace_back();
  return idx;
}

text_doc::cid text_doc::to_cid(const text_ref& r, bool& missing) {
  if (r.none()) return {};
  auto it = agent_index_.find(std::string(r.actor.begin(), r.actor.end()));
  if (it == agent_index_.end()) {
    missing = true;
    return {};
  }
  return {it->second, r.seq};
}

text_ref text_doc::to_ref(cid c) const {
  if (c.agent == no_agent) return {};
  return {agents_[c.agent], c.seq};
}

bool text_doc::agent_less(std::uint32_t a, std::uint32_t b) const {
  const bytes& x = agents_[a];
  const bytes& y = agents_[b];
  return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end());
}

std::int64_t text_doc::find_run(cid c) const {
  if (c.agent == no_agent || c.agent >= by_agent_.size()) return -1;
  const auto& m = by_agent_[c.agent];
  auto it = m.upper_bound(c.seq);
  if (it == m.begin()) return -1;
  --it;
  const run& r = runs_[it->second];
  return c.seq < r.id.seq + r.len ? static_cast<std::int64_t>(it->second) : -1;
}

text_doc::cursor text_doc::locate(std::uint32_t r) const {
  const block& b = blocks_[runs_[r].block];
  auto it = std::find(b.runs.begin(), b.runs.end(), r);
  return {b.pos, static_cast<std::uint32_t>(it - b.runs.begin())};
}

bool text_doc::first(cursor& c) const {
  c = {0, static_cast<std::uint32_t>(-1)};
  return next(c);
}

bool text_doc::next(cursor& c) const {
  ++c.index;
  while (c.index >= blocks_[order_[c.block_pos]].runs.size()) {
    if (c.block_pos + 1 >= order_.size()) return false;
    ++c.block_pos;
    c.index = 0;
  }
  return true;
}

std::uint32_t text_doc::new_block_after(std::uint32_t block_pos) {
  auto id = static_cast<std::uint32_t>(blocks_.size());
  blocks_.push_back({});
  order_.insert(order_.begin() + block_pos + 1, id);
  if (block_pos < cache_pos_) ++cache_pos_;
  for (std::size_t i = block_pos + 1; i < order_.size(); ++i) blocks_[order_[i]].pos = static_cast<std::uint32_t>(i);
  return id;
}

void text_doc::add_visible(std::uint32_t block_id, std::int64_t delta) {
  block& b = blocks_[block_id];
  b.visible = static_cast<std::uint64_t>(static_cast<std::int64_t>(b.visible) + delta);
  if (b.pos < cache_pos_) cache_prefix_ = static_cast<std::uint64_t>(static_cast<std::int64_t>(cache_prefix_) + delta);
}

// The block holding visible char `index`; `index` becomes the offset in it.
// Starts from the block found last time when it lies before the target, so
// editing near the last edit (typing) does not rescan the document.
std::uint32_t text_doc::block_of(std::uint64_t& index) {
  std::uint32_t bp = 0;
  std::uint64_t prefix = 0;
  if (cache_pos_ < order_.size() && index >= cache_prefix_) {
    bp = cache_pos_;
    prefix = cache_prefix_;
  }
  while (index - prefix >= blocks_[order_[bp]].visible) prefix += blocks_[order_[bp++]].visible;
  cache_pos_ = bp;
  cache_prefix_ = prefix;
  index -= prefix;
  return bp;
}

void text_doc::insert_run_at(cursor at, std::uint32_t r) {
  std::uint32_t bid = order_[at.block_pos];
  {
    block& b = blocks_[bid];
    b.runs.insert(b.runs.begin() + at.index, r);
    runs_[r].block = bid;
    if (!runs_[r].deleted) add_visible(bid, runs_[r].len);
    if (b.runs.size() <= max_block_runs) return;
  }
  std::uint32_t nid = new_block_after(at.block_pos);
  block& b = blocks_[bid];
  block& nb = blocks_[nid];
  std::size_t half = b.runs.size() / 2;
  nb.runs.assign(b.runs.begin() + static_cast<std::ptrdiff_t>(half), b.runs.end());
  b.runs.resize(half);
  for (std::uint32_t x : nb.runs) {
    runs_[x].block = nid;
    if (!runs_[x].deleted) {
      nb.visible += runs_[x].len;
      b.visible -= runs_[x].len;
    }
  }
}

std::uint32_t text_doc::split(std::uint32_t r, std::uint32_t k) {
  run t = runs_[r];
  t.id.seq += k;
  t.len -= k;
  t.content += k;
  t.left = {runs_[r].id.agent, runs_[r].id.seq + k - 1};
  runs_[r].len = k;
  if (!t.deleted) add_visible(t.block, -static_cast<std::int64_t>(t.len));
  auto ti = static_cast<std::uint32_t>(runs_.size());
  runs_.push_back(t);
  index_run(ti);
  cursor c = locate(r);
  c.index += 1;
  insert_run_at(c, ti);
  return ti;
}

void text_doc::set_deleted(std::uint32_t r) {
  if (runs_[r].deleted) return;
  runs_[r].deleted = true;
  add_visible(runs_[r].block, -static_cast<std::int64_t>(runs_[r].len));
  visible_ -= runs_[r].len;
}

std::vector<text_op> text_doc::insert(const bytes& actor, std::uint64_t& counter, std::size_t pos, std::string_view utf8) {
  std::u32string chars = utf8_to_u32(utf8);
  if (chars.empty()) return {};
  pos = std::min<std::size_t>(pos, visible_);
  std::uint32_t agent = agent_of(actor);
  cid left, right;
  cursor at{0, 0};
  std::int64_t extend = -1;
  if (pos == 0) {
    cursor c;
    if (first(c)) right = runs_[run_at(c)].id;
  } else {
    std::uint64_t remaining = pos - 1;
    std::uint32_t bp = block_of(remaining);
    const block& b = blocks_[order_[bp]];
    std::uint32_t r = 0, idx = 0;
    for (;; ++idx) {
      r = b.runs[idx];
      if (runs_[r].deleted) continue;
      if (remaining < runs_[r].len) break;
      remaining -= runs_[r].len;
    }
    auto off = static_cast<std::uint32_t>(remaining);
    left = {runs_[r].id.agent, runs_[r].id.seq + off};
    if (off + 1 < runs_[r].len) {
      std::uint32_t t = split(r, off + 1);
      right = runs_[t].id;
      at = locate(t);
    } else {
      at = locate(r);
      cursor n = at;
      if (next(n)) right = runs_[run_at(n)].id;
      at.index += 1;
      const run& x = runs_[r];
      if (x.id.agent == agent && x.id.seq + x.len == counter && !x.deleted && x.content + x.len == content_.size() &&
          x.right == right)
        extend = r;
    }
  }
  text_op op;
  op.k = text_op::kind::insert;
  op.id = {actor, counter};
  op.left = to_ref(left);
  op.right = to_ref(right);
  op.content = u32_to_utf8(chars);
  auto n = static_cast<std::uint32_t>(chars.size());
  auto content_off = static_cast<std::uint32_t>(content_.size());
  content_ += chars;
  if (extend >= 0) {
    runs_[extend].len += n;
    add_visible(runs_[extend].block, n);
  } else {
    run nr;
    nr.id = {agent, counter};
    nr.len = n;
    nr.left = left;
    nr.right = right;
    nr.content = content_off;
    auto ri = static_cast<std::uint32_t>(runs_.size());
    runs_.push_back(nr);
    index_run(ri);
    insert_run_at(at, ri);
  }
  visible_ += n;
  counter += n;
  return {std::move(op)};
}

std::vector<text_op> text_doc::remove(std::size_t pos, std::size_t len) {
  std::vector<text_op> ops;
  if (pos >= visible_ || len == 0) return ops;
  std::uint64_t remaining = std::min<std::uint64_t>(len, visible_ - pos);
  std::uint64_t skip = pos;
  std::uint32_t bp = block_of(skip);
  std::uint32_t r = 0;
  for (std::uint32_t idx = 0;; ++idx) {
    r = blocks_[order_[bp]].runs[idx];
    if (runs_[r].deleted) continue;
    if (skip < runs_[r].len) break;
    skip -= runs_[r].len;
  }
  if (skip > 0) r = split(r, static_cast<std::uint32_t>(skip));
  cursor c = locate(r);
  while (remaining > 0) {
    r = run_at(c);
    if (!runs_[r].deleted) {
      if (runs_[r].len > remaining) {
        split(r, static_cast<std::uint32_t>(remaining));
        c = locate(r);
      }
      set_deleted(r);
      remaining -= runs_[r].len;
      const run& x = runs_[r];
      if (!ops.empty() && ops.back().id.actor == agents_[x.id.agent] && ops.back().id.seq + ops.back().len == x.id.seq) {
        ops.back().len += x.len;
      } else {
        text_op op;
        op.k = text_op::kind::remove;
        op.id = to_ref(x.id);
        op.len = x.len;
        ops.push_back(std::move(op));
      }
    }
    if (remaining > 0 && !next(c)) break;
  }
  return ops;
}

void text_doc::integrate(std::uint32_t t, cid left, cid right) {
  std::int64_t left_run = -1;
  cursor o{0, 0};
  bool has_o;
  if (left.agent == no_agent) {
    has_o = first(o);
  } else {
    left_run = find_run(left);
    o = locate(static_cast<std::uint32_t>(left_run));
    has_o = next(o);
  }
  std::int64_t right_run = find_run(right);
  std::int64_t origin_run = left_run;
  std::unordered_set<std::uint32_t> before, conflicting;
  while (has_o) {
    std::uint32_t orun = run_at(o);
    if (static_cast<std::int64_t>(orun) == right_run) break;
    before.insert(orun);
    conflicting.insert(orun);
    const run& x = runs_[orun];
    if (x.left == runs_[t].left) {
      if (agent_less(x.id.agent, runs_[t].id.agent)) {
        left_run = orun;
        conflicting.clear();
      } else if (x.right == runs_[t].right) {
        break;
      }
    } else {
      std::int64_t lx = find_run(x.left);
      if (lx >= 0 && before.count(static_cast<std::uint32_t>(lx))) {
        if (!conflicting.count(static_cast<std::uint32_t>(lx))) {
          left_run = orun;
          conflicting.clear();
        }
      } else {
        break;
      }
    }
    has_o = next(o);
  }
  const run& nr = runs_[t];
  if (left_run >= 0 && left_run == origin_run) {
    run& x = runs_[left_run];
    if (x.id.agent == nr.id.agent && x.id.seq + x.len == nr.id.seq && !x.deleted && x.content + x.len == nr.content &&
        x.right == nr.right && nr.left == cid{x.id.agent, x.id.seq + x.len - 1}) {
      x.len += nr.len;
      add_visible(x.block, nr.len);
      runs_.pop_back();
      return;
    }
  }
  index_run(t);
  cursor at{0, 0};
  if (left_run >= 0) {
    at = locate(static_cast<std::uint32_t>(left_run));
    at.index += 1;
  }
  insert_run_at(at, t);
}

result<void> text_doc::apply(const text_op& op) {
  if (op.id.none()) return make_error(errc::malformed, "a text edit has no author");
  if (op.k == text_op::kind::insert) {
    std::uint32_t agent = agent_of(op.id.actor);
    if (find_run({agent, op.id.seq}) >= 0) return {};  // already applied
    bool missing = false;
    cid left = to_cid(op.left, missing), right = to_cid(op.right, missing);
    if (missing) return make_error(errc::bad_state, "a text edit refers to text not received yet");
    std::int64_t lr = -1, rr = -1;
    if (left.agent != no_agent && (lr = find_run(left)) < 0)
      return make_error(errc::bad_state, "a text edit refers to text not received yet");
    if (right.agent != no_agent && (rr = find_run(right)) < 0)
      return make_error(errc::bad_state, "a text edit refers to text not received yet");
    std::u32string chars = utf8_to_u32(op.content);
    if (chars.empty() || chars.size() > 0xffffffu) return make_error(errc::malformed, "a text insert is empty or too long");
    if (lr >= 0 && left.seq + 1 < runs_[lr].id.seq + runs_[lr].len)
      split(static_cast<std::uint32_t>(lr), static_cast<std::uint32_t>(left.seq - runs_[lr].id.seq + 1));
    rr = right.agent == no_agent ? -1 : find_run(right);
    if (rr >= 0 && right.seq > runs_[rr].id.seq)
      split(static_cast<std::uint32_t>(rr), static_cast<std::uint32_t>(right.seq - runs_[rr].id.seq));
    run nr;
    nr.id = {agent, op.id.seq};
    nr.len = static_cast<std::uint32_t>(chars.size());
    nr.left = left;
    nr.right = right;
    nr.content = static_cast<std::uint32_t>(content_.size());
    content_ += chars;
    auto t = static_cast<std::uint32_t>(runs_.size());
    runs_.push_back(nr);
    integrate(t, left, right);
    visible_ += chars.size();
    return {};
  }
  if (op.k != text_op::kind::remove || op.len == 0) return make_error(errc::malformed, "unknown text edit");
  bool missing = false;
  cid start = to_cid(op.id, missing);
  if (missing) return make_error(errc::bad_state, "a text delete refers to text not received yet");
  std::uint64_t end = start.seq + op.len;
  for (std::uint64_t s = start.seq; s < end;) {  // check first: all or nothing
    std::int64_t r = find_run({start.agent, s});
    if (r < 0) return make_error(errc::bad_state, "a text delete refers to text not received yet");
    s = runs_[r].id.seq + runs_[r].len;
  }
  for (std::uint64_t s = start.seq; s < end;) {
    auto r = static_cast<std::uint32_t>(find_run({start.agent, s}));
    if (s > runs_[r].id.seq) r = split(r, static_cast<std::uint32_t>(s - runs_[r].id.seq));
    if (runs_[r].len > end - s) split(r, static_cast<std::uint32_t>(end - s));
    set_deleted(r);
    s += runs_[r].len;
  }
  return {};
}

std::string text_doc::text() const {
  std::u32string out;
  out.reserve(visible_);
  for (std::uint32_t bid : order_)
    for (std::uint32_t r : blocks_[bid].runs)
      if (!runs_[r].deleted) out.append(content_, runs_[r].content, runs_[r].len);
  return u32_to_utf8(out);
}

// Encoding, version 2. Runs that one insert made (same device, consecutive
// ids, each continuing the previous, same right origin) are joined back into
// items whatever later deletes did to them; deletions travel as ranges of ids
// per device. Origins are predicted from neighbours (a typed item's left is
// usually the char before it), so most items cost a few bytes. Only visible
// text is kept: deleted text is not needed to merge.
bytes text_doc::encode() const {
  struct item { cid id; std::uint64_t len; cid left, right; };
  std::vector<item> items;
  std::u32string text;
  std::vector<std::vector<std::pair<std::uint64_t, std::uint64_t>>> dels(agents_.size());  // [start, end)
  for (std::uint32_t bid : order_)
    for (std::uint32_t ri : blocks_[bid].runs) {
      const run& x = runs_[ri];
      if (!x.deleted) text.append(content_, x.content, x.len);
      else {
        auto& d = dels[x.id.agent];
        if (!d.empty() && d.back().second == x.id.seq) d.back().second += x.len;
        else d.push_back({x.id.seq, x.id.seq + x.len});
      }
      if (!items.empty()) {
        item& p = items.back();
        if (p.id.agent == x.id.agent && p.id.seq + p.len == x.id.seq && x.left == cid{p.id.agent, x.id.seq - 1} && x.right == p.right) {
          p.len += x.len;
          continue;
        }
      }
      items.push_back({x.id, x.len, x.left, x.right});
    }
  bytes head, c_agent, c_seq, c_len, c_left, c_right, c_del;
  put_varint(head, 2);
  put_varint(head, agents_.size());
  for (auto& a : agents_) {
    put_varint(head, a.size());
    append(head, a);
  }
  put_varint(head, items.size());
  std::vector<std::uint64_t> next_seq(agents_.size(), 0);
  std::uint32_t prev_agent = no_agent, agent_rep = 0;
  cid prev_right;
  auto flush_agent = [&] {
    if (agent_rep) { put_varint(c_agent, prev_agent); put_varint(c_agent, agent_rep); }
  };
  for (std::size_t i = 0; i < items.size(); ++i) {
    const item& x = items[i];
    if (x.id.agent == prev_agent) ++agent_rep;
    else { flush_agent(); prev_agent = x.id.agent; agent_rep = 1; }
    put_varint(c_seq, zigzag(static_cast<std::int64_t>(x.id.seq - next_seq[x.id.agent])));
    next_seq[x.id.agent] = x.id.seq + x.len;
    put_varint(c_len, x.len);
    // left: 0 = last char of the previous item, 1 = none, 2 = explicit
    cid prev_last = i ? cid{items[i - 1].id.agent, items[i - 1].id.seq + items[i - 1].len - 1} : cid{};
    if (i && x.left == prev_last) put_varint(c_left, 0);
    else if (x.left.agent == no_agent) put_varint(c_left, 1);
    else { put_varint(c_left, 2); put_varint(c_left, x.left.agent); put_varint(c_left, zigzag(static_cast<std::int64_t>(x.left.seq - x.id.seq))); }
    // right: 0 = first char of the next item, 1 = none, 2 = same as previous item's, 3 = explicit
    cid next_first = i + 1 < items.size() ? items[i + 1].id : cid{};
    if (i + 1 < items.size() && x.right == next_first) put_varint(c_right, 0);
    else if (x.right.agent == no_agent) put_varint(c_right, 1);
    else if (i && x.right == prev_right) put_varint(c_right, 2);
    else { put_varint(c_right, 3); put_varint(c_right, x.right.agent); put_varint(c_right, zigzag(static_cast<std::int64_t>(x.right.seq - x.id.seq))); }
    prev_right = x.right;
  }
  flush_agent();
  for (std::size_t a = 0; a < dels.size(); ++a) {
    auto& d = dels[a];
    std::sort(d.begin(), d.end());
    std::vector<std::pair<std::uint64_t, std::uint64_t>> merged;
    for (auto& r : d)
      if (!merged.empty() && merged.back().second >= r.first) merged.back().second = std::max(merged.back().second, r.second);
      else merged.push_back(r);
    put_varint(c_del, merged.size());
    std::uint64_t at = 0;
    for (auto& r : merged) {
      put_varint(c_del, r.first - at);
      put_varint(c_del, r.second - r.first);
      at = r.second;
    }
  }
  std::string utf8 = u32_to_utf8(text);
  bytes out = head;
  for (const bytes* col : {&c_agent, &c_seq, &c_len, &c_left, &c_right, &c_del}) {
    put_varint(out, col->size());
    append(out, *col);
  }
  put_varint(out, utf8.size());
  append(out, std::string_view(utf8));
  if (out.size() < deflate_above) return out;
  // Version 3: the version-2 bytes, deflated.
  bytes packed;
  put_varint(packed, 3);
  put_varint(packed, out.size());
  append(packed, compress::deflate(out));
  return packed.size() < out.size() ? packed : out;
}

result<text_doc> text_doc::decode(const bytes& b) {
  auto bad = [] { return make_error(errc::malformed, "the stored text is damaged"); };
  {
    byte_reader head{b};
    if (head.varint() == 3 && head.ok) {
      std::uint64_t raw = head.varint();
      if (!head.ok || raw > max_encoded_text) return bad();
      auto inflated = compress::inflate(b.data() + head.i, b.size() - head.i, static_cast<std::size_t>(raw));
      if (!inflated || inflated->size() != raw) return bad();
      byte_reader inner{*inflated};
      if (inner.varint() != 2) return bad();
      return decode(*inflated);
    }
  }
  byte_reader in{b};
  if (in.varint() != 2 || !in.ok) return bad();
  text_doc d;
  std::uint64_t n_agents = in.varint();
  if (!in.ok || n_agents > 1'000'000) return bad();
  for (std::uint64_t i = 0; i < n_agents; ++i) {
    bytes a = in.take(in.varint());
    if (!in.ok || a.empty()) return bad();
    d.agent_of(a);
  }
  if (d.agents_.size() != n_agents) return bad();
  std::uint64_t n_items = in.varint();
  if (!in.ok || n_items > b.size()) return bad();
  bytes cols[6];
  for (auto& c : cols) {
    c = in.take(in.varint());
    if (!in.ok) return bad();
  }
  std::u32string text;
  {
    bytes t = in.take(in.varint());
    if (!in.ok || in.i != b.size()) return bad();
    text = utf8_to_u32(std::string_view(reinterpret_cast<const char*>(t.data()), t.size()));
  }
  byte_reader ra{cols[0]}, rs{cols[1]}, rl{cols[2]}, rlft{cols[3]}, rrgt{cols[4]}, rdel{cols[5]};
  // Deleted ranges per device.
  std::vector<std::vector<std::pair<std::uint64_t, std::uint64_t>>> dels(n_agents);
  for (std::uint64_t a = 0; a < n_agents; ++a) {
    std::uint64_t n = rdel.varint(), at = 0;
    if (!rdel.ok || n > cols[5].size()) return bad();
    for (std::uint64_t k = 0; k < n; ++k) {
      std::uint64_t start = at + rdel.varint(), len = rdel.varint();
      if (!rdel.ok || len == 0) return bad();
      dels[a].push_back({start, start + len});
      at = start + len;
    }
  }
  if (rdel.i != cols[5].size()) return bad();
  struct item { cid id; std::uint64_t len; cid left, right; std::uint8_t right_kind; };
  std::vector<item> items(n_items);
  std::vector<std::uint64_t> next_seq(n_agents, 0);
  std::uint64_t agent_left = 0, agent = 0;
  cid prev_right;
  for (std::uint64_t i = 0; i < n_items; ++i) {
    while (agent_left == 0) {
      agent = ra.varint();
      agent_left = ra.varint();
      if (!ra.ok || agent >= n_agents) return bad();
    }
    --agent_left;
    item& x = items[i];
    x.id.agent = static_cast<std::uint32_t>(agent);
    x.id.seq = next_seq[agent] + static_cast<std::uint64_t>(unzigzag(rs.varint()));
    x.len = rl.varint();
    if (!rs.ok || !rl.ok || x.len == 0 || x.len > 0xffffffu) return bad();
    next_seq[agent] = x.id.seq + x.len;
    std::uint64_t lk = rlft.varint();
    if (lk == 0 && i > 0) x.left = {items[i - 1].id.agent, items[i - 1].id.seq + items[i - 1].len - 1};
    else if (lk == 2) {
      std::uint64_t a = rlft.varint();
      if (a >= n_agents) return bad();
      x.left = {static_cast<std::uint32_t>(a), x.id.seq + static_cast<std::uint64_t>(unzigzag(rlft.varint()))};
    } else if (lk != 1) return bad();
    x.right_kind = static_cast<std::uint8_t>(rrgt.varint());
    if (x.right_kind == 2 && i > 0) x.right = prev_right;
    else if (x.right_kind == 3) {
      std::uint64_t a = rrgt.varint();
      if (a >= n_agents) return bad();
      x.right = {static_cast<std::uint32_t>(a), x.id.seq + static_cast<std::uint64_t>(unzigzag(rrgt.varint()))};
    } else if (x.right_kind > 3 || (x.right_kind == 2 && i == 0) || (x.right_kind == 0 && i + 1 >= n_items)) return bad();
    if (!rlft.ok || !rrgt.ok) return bad();
    prev_right = x.right;
  }
  for (std::uint64_t i = 0; i + 1 < n_items; ++i)
    if (items[i].right_kind == 0) items[i].right = items[i + 1].id;
  // Items back into runs: split where the deleted ranges start and end.
  std::uint64_t text_pos = 0;
  for (const item& x : items) {
    auto& dl = dels[x.id.agent];
    std::uint64_t s = x.id.seq, end = x.id.seq + x.len;
    // Ranges are sorted per device but items may come in any id order.
    std::size_t k = static_cast<std::size_t>(
        std::lower_bound(dl.begin(), dl.end(), std::make_pair(s, std::uint64_t(0)),
                         [](auto& r, auto& v) { return r.second <= v.first; }) - dl.begin());
    while (s < end) {
      bool del = k < dl.size() && dl[k].first <= s;
      std::uint64_t stop = del ? std::min(end, dl[k].second) : (k < dl.size() ? std::min(end, dl[k].first) : end);
      run r;
      r.id = {x.id.agent, s};
      r.len = static_cast<std::uint32_t>(stop - s);
      r.left = s == x.id.seq ? x.left : cid{x.id.agent, s - 1};
      r.right = x.right;
      r.deleted = del;
      r.content = static_cast<std::uint32_t>(d.content_.size());
      if (del) d.content_.append(r.len, U'\0');  // placeholders keep offsets simple
      else {
        if (text_pos + r.len > text.size()) return bad();
        d.content_.append(text, text_pos, r.len);
        text_pos += r.len;
      }
      d.runs_.push_back(r);
      s = stop;
      if (del && s >= dl[k].second) ++k;
    }
  }
  if (text_pos != text.size()) return bad();
  d.blocks_.clear();
  d.order_.clear();
  for (std::uint32_t i = 0; i < d.runs_.size(); ++i) {
    if (i % (max_block_runs / 2) == 0) {
      d.blocks_.push_back({});
      d.blocks_.back().pos = static_cast<std::uint32_t>(d.order_.size());
      d.order_.push_back(static_cast<std::uint32_t>(d.blocks_.size() - 1));
    }
    block& blk = d.blocks_.back();
    blk.runs.push_back(i);
    d.runs_[i].block = static_cast<std::uint32_t>(d.blocks_.size() - 1);
    if (!d.runs_[i].deleted) {
      blk.visible += d.runs_[i].len;
      d.visible_ += d.runs_[i].len;
    }
    auto& m = d.by_agent_[d.runs_[i].id.agent];
    if (m.count(d.runs_[i].id.seq)) return bad();
    m[d.runs_[i].id.seq] = i;
  }
  if (d.blocks_.empty()) {
    d.blocks_.push_back({});
    d.order_.push_back(0);
  }
  return d;
}

}  // namespace packline
