// A sequence CRDT for long text (question bodies, KLOE bullets, note bodies):
// YATA ordering (as in Yjs) over runs of characters, so concurrent inserts
// interleave deterministically and deletes are tombstones. Positions in the
// API count Unicode code points, as editors do. Pure data structure: no I/O;
// one owner at a time.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "packline/base/bytes.hpp"
#include "packline/base/result.hpp"

namespace packline {

// A character id: the device that typed it and that device's text counter.
// An empty actor means "none" (start or end of the document).
struct text_ref {
  bytes actor;
  std::uint64_t seq = 0;
  bool none() const { return actor.empty(); }
  bool operator==(const text_ref&) const = default;
};

// UTF-8 <-> code points, replacing invalid sequences with U+FFFD.
std::u32string utf8_to_u32(std::string_view s);
std::string u32_to_utf8(std::u32string_view s);

struct text_op {
  enum class kind : std::uint8_t { insert = 1, remove = 2 } k = kind::insert;
  text_ref id;            // insert: first new char; remove: first removed char
  std::uint64_t len = 0;  // remove: chars id.seq .. id.seq+len-1 of id.actor
  text_ref left, right;   // insert: neighbours when it was typed
  std::string content;    // insert: UTF-8
};

class text_doc {
 public:
  text_doc();
  // Local edits by `actor`, whose next unused char counter is `counter`
  // (advanced by the insert). Return the ops to send. Out-of-range positions
  // are clamped to the text.
  std::vector<text_op> insert(const bytes& actor, std::uint64_t& counter, std::size_t pos, std::string_view utf8);
  std::vector<text_op> remove(std::size_t pos, std::size_t len);
  // Remote op. Idempotent. errc::bad_state when a char it names is not here
  // yet (the caller applies causal predecessors first).
  result<void> apply(const text_op& op);

  std::string text() const;
  // The visible text with each char c given as f(typer, its counter, c):
  // sealed text (replica::text_ops with a key) opens char by char; a char
  // for which f gives text_skip is left out (sealed under a key not held).
  static constexpr char32_t text_skip = 0xffffffff;
  template <class F>
  std::string text(F&& f) const {
    std::u32string out;
    out.reserve(visible_);
    for (std::uint32_t bid : order_)
      for (std::uint32_t r : blocks_[bid].runs) {
        const run& x = runs_[r];
        if (x.deleted) continue;
        for (std::uint32_t k = 0; k < x.len; ++k) {
          char32_t c = f(agents_[x.id.agent], x.id.seq + k, content_[x.content + k]);
          if (c != text_skip) out.push_back(c);
        }
      }
    return u32_to_utf8(out);
  }
  std::size_t size() const { return visible_; }
  // Runs held (for tests and benchmarks).
  std::size_t run_count() const { return runs_.size(); }

  // Compact columnar encoding of the whole document (ids, origins, tombstone
  // lengths and the visible text), enough to keep merging with any peer.
  bytes encode() const;
  static result<text_doc> decode(const bytes& b);

 private:
  static constexpr std::uint32_t no_agent = 0xffffffff;
  struct cid {
    std::uint32_t agent = no_agent;
    std::uint64_t seq = 0;
    bool operator==(const cid&) const = default;
  };
  struct run {
    cid id;  // first char
    std::uint32_t len = 0;
    cid left, right;  // origins of the first char; later chars' left is their predecessor
    std::uint32_t content = 0;  // offset into content_
    std::uint32_t block = 0;
    bool deleted = false;
  };
  struct block {
    std::vector<std::uint32_t> runs;  // indices into runs_, in document order
    std::uint64_t visible = 0;
    std::uint32_t pos = 0;  // index in order_
  };
  struct cursor {
    std::uint32_t block_pos;  // index in order_
    std::uint32_t index;      // index in the block's runs
  };

  std::uint32_t agent_of(const bytes& actor);
  cid to_cid(const text_ref& r, bool& missing);
  text_ref to_ref(cid c) const;
  bool agent_less(std::uint32_t a, std::uint32_t b) const;
  // Run containing char c, or -1.
  std::int64_t find_run(cid c) const;
  cursor locate(std::uint32_t run_idx) const;
  // Splits run r so that a new run starts at offset k; returns the new run.
  std::uint32_t split(std::uint32_t r, std::uint32_t k);
  void insert_run_at(cursor at, std::uint32_t r);
  bool first(cursor& c) const;  // first run; false when empty
  bool next(cursor& c) const;   // advance; false at end
  std::uint32_t run_at(cursor c) const { return blocks_[order_[c.block_pos]].runs[c.index]; }
  void index_run(std::uint32_t r) { by_agent_[runs_[r].id.agent][runs_[r].id.seq] = r; }
  void set_deleted(std::uint32_t r);
  void add_visible(std::uint32_t block_id, std::int64_t delta);
  std::uint32_t block_of(std::uint64_t& index);
  std::uint32_t new_block_after(std::uint32_t block_pos);
  void integrate(std::uint32_t r, cid left, cid right);

  std::vector<bytes> agents_;
  std::unordered_map<std::string, std::uint32_t> agent_index_;
  std::vector<std::map<std::uint64_t, std::uint32_t>> by_agent_;  // run start seq -> run
  std::vector<run> runs_;
  std::vector<block> blocks_;
  std::vector<std::uint32_t> order_;  // block ids in document order
  std::u32string content_;
  std::uint64_t visible_ = 0;
  // Last block found by position and the visible chars before it.
  std::uint32_t cache_pos_ = 0;
  std::uint64_t cache_prefix_ = 0;
};

}  // namespace packline
