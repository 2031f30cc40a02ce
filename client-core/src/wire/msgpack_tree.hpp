// The codec's msgpack plumbing, shared by its three parts (messages and
// envelopes, change bodies, stored records): a growable byte sink for
// msgpack's packer, and a bounded tree that decoding builds before each
// message's shape is checked. The only header that includes msgpack.
#pragma once
#include <cstring>

#include <msgpack.hpp>

#include "packline/base/limits.hpp"
#include "packline/wire/codec.hpp"

namespace packline::codec::detail {

// ---------- encoding ----------
// msgpack's packer writes a few bytes at a time: the sink starts at the
// caller's size hint, grows geometrically, copies short writes by hand and
// longer ones with memcpy; take() trims it.
struct byte_sink {
  bytes buf;
  std::size_t n = 0;
  explicit byte_sink(std::size_t expect = 256) : buf(expect) {}
  void write(const char* p, std::size_t len) {
    if (len > buf.size() - n) buf.resize(std::max(buf.size() * 2, n + len));
    std::uint8_t* d = buf.data() + n;
    n += len;
    switch (len) {  // headers and names, most writes: copied here, not by a call
      case 8: d[7] = static_cast<std::uint8_t>(p[7]); [[fallthrough]];
      case 7: d[6] = static_cast<std::uint8_t>(p[6]); [[fallthrough]];
      case 6: d[5] = static_cast<std::uint8_t>(p[5]); [[fallthrough]];
      case 5: d[4] = static_cast<std::uint8_t>(p[4]); [[fallthrough]];
      case 4: d[3] = static_cast<std::uint8_t>(p[3]); [[fallthrough]];
      case 3: d[2] = static_cast<std::uint8_t>(p[2]); [[fallthrough]];
      case 2: d[1] = static_cast<std::uint8_t>(p[1]); [[fallthrough]];
      case 1: d[0] = static_cast<std::uint8_t>(p[0]); [[fallthrough]];
      case 0: return;  // (p may be null for an empty bin)
      default: std::memcpy(d, p, len);
    }
  }
  bytes take() {
    buf.resize(n);
    return std::move(buf);
  }
};
using packer = msgpack::packer<byte_sink>;

inline void pack_bin(packer& pk, const bytes& b) {
  pk.pack_bin(static_cast<std::uint32_t>(b.size()));
  pk.pack_bin_body(reinterpret_cast<const char*>(b.data()), static_cast<std::uint32_t>(b.size()));
}
// A writer (reg_ref) as its 8 key bytes.
inline void pack_writer(packer& pk, std::uint64_t w) {
  std::uint8_t b[8];
  store_be(b, w, 8);
  pk.pack_bin(8);
  pk.pack_bin_body(reinterpret_cast<const char*>(b), 8);
}
inline void pack_str(packer& pk, std::string_view s) {
  pk.pack_str(static_cast<std::uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}
inline void pack_value(packer& pk, const value& v) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) pk.pack_nil();
        else if constexpr (std::is_same_v<T, bool>) { if (x) pk.pack_true(); else pk.pack_false(); }
        else if constexpr (std::is_same_v<T, std::int64_t>) pk.pack_int64(x);
        else if constexpr (std::is_same_v<T, double>) pk.pack_double(x);
        else if constexpr (std::is_same_v<T, std::string>) pack_str(pk, x);
        else pack_bin(pk, x);
      },
      v);
}

// ---------- decoding: a bounded tree ----------
struct node {
  enum kind_t : std::uint8_t { nil, boolean, uint, sint, f64, str, bin, array, map } kind = nil;
  bool b = false;
  std::uint64_t u = 0;
  std::int64_t i = 0;
  double d = 0;
  const char* p = nullptr;
  std::uint32_t n = 0;
  std::vector<node> items;  // array elements, or map keys and values interleaved
};

constexpr int max_depth = 8;
// An envelope is one array of seven fields.
constexpr std::size_t max_envelope_items = 16;

class tree_builder : public msgpack::null_visitor {
 public:
  node root;
  bool too_large = false;
  explicit tree_builder(std::size_t max_items) : budget_(max_items) {}
  bool visit_nil() { return take() && (leaf().kind = node::nil, true); }
  bool visit_boolean(bool v) { if (!take()) return false; auto& n = leaf(); n.kind = node::boolean; n.b = v; return true; }
  bool visit_positive_integer(std::uint64_t v) { if (!take()) return false; auto& n = leaf(); n.kind = node::uint; n.u = v; return true; }
  bool visit_negative_integer(std::int64_t v) { if (!take()) return false; auto& n = leaf(); n.kind = node::sint; n.i = v; return true; }
  bool visit_float32(float v) { if (!take()) return false; auto& n = leaf(); n.kind = node::f64; n.d = v; return true; }
  bool visit_float64(double v) { if (!take()) return false; auto& n = leaf(); n.kind = node::f64; n.d = v; return true; }
  bool visit_str(const char* v, std::uint32_t s) { if (!take()) return false; auto& n = leaf(); n.kind = node::str; n.p = v; n.n = s; return true; }
  bool visit_bin(const char* v, std::uint32_t s) { if (!take()) return false; auto& n = leaf(); n.kind = node::bin; n.p = v; n.n = s; return true; }
  bool visit_ext(const char*, std::uint32_t) { return false; }  // no ext types in the protocol
  bool start_array(std::uint32_t num) { return open(node::array, num); }
  bool start_array_item() { return true; }
  bool end_array_item() { return true; }
  bool end_array() { stack_.pop_back(); return true; }
  bool start_map(std::uint32_t num) { return num <= 1024 && open(node::map, num * 2); }
  bool start_map_key() { return true; }
  bool end_map_key() { return true; }
  bool start_map_value() { return true; }
  bool end_map_value() { return true; }
  bool end_map() { stack_.pop_back(); return true; }
  void parse_error(std::size_t, std::size_t) {}
  void insufficient_bytes(std::size_t, std::size_t) {}

 private:
  node& leaf() {
    if (stack_.empty()) return root;
    auto& items = stack_.back()->items;
    items.emplace_back();
    return items.back();
  }
  // Every decoded item costs a node (tens of bytes) for one byte of input:
  // the message's own budget, not its size, bounds the tree.
  bool take() {
    if (budget_ == 0) return too_large = true, false;
    --budget_;
    return true;
  }
  bool open(node::kind_t k, std::uint32_t num) {
    // A container's items come out of the same budget: a count beyond it is refused before any reserve.
    if (stack_.size() >= max_depth || !take() || num > budget_) return too_large = true, false;
    node& n = leaf();
    n.kind = k;
    n.n = num;
    n.items.reserve(std::min<std::uint32_t>(num, 4096));
    stack_.push_back(&n);
    return true;
  }
  std::vector<node*> stack_;
  std::size_t budget_;
};

// msgpack-cxx throws when an ext32 header declares 0xffffffff bytes, before
// any visitor call; builds without exceptions (WASM) would abort. Refuse such
// input up front: the protocol has no ext types, and a false positive only
// rejects one frame.
// (memchr finds the candidates: an envelope's ciphertext is kilobytes, and a
// byte-by-byte loop over it cost more than the rest of its decoding.)
inline bool has_ext32_overflow(const std::uint8_t* d, std::size_t n) {
  const std::uint8_t* end = d + n;
  for (const std::uint8_t* p = d; end - p > 4; ++p) {
    p = static_cast<const std::uint8_t*>(std::memchr(p, 0xc9, static_cast<std::size_t>(end - p - 4)));
    if (!p) return false;
    if (p[1] == 0xff && p[2] == 0xff && p[3] == 0xff && p[4] == 0xff) return true;
  }
  return false;
}

// `max_items` bounds the decoded items (every value and container counts):
// decoding costs time and memory in proportion to the input, never more.
inline result<node> parse_tree(const std::uint8_t* data, std::size_t size, std::size_t limit, std::size_t max_items) {
  if (size > limit) return make_error(errc::too_large, "frame is larger than the limit");
  if (size == 0) return make_error(errc::malformed, "empty frame");
  if (has_ext32_overflow(data, size)) return make_error(errc::malformed, "frame holds an unsupported type");
  tree_builder tb(max_items);
  std::size_t off = 0;
  bool ok = msgpack::parse(reinterpret_cast<const char*>(data), size, off, tb);
  if (tb.too_large) return make_error(errc::too_large, "frame nests too deep or declares too many items");
  if (!ok) return make_error(errc::malformed, "frame is not valid msgpack");
  if (off != size) return make_error(errc::malformed, "trailing bytes after the message");
  return std::move(tb.root);
}

// Field readers: each returns false on a shape mismatch.
struct reader {
  const node& arr;
  std::size_t i = 0;
  bool ok = true;
  const node* next() {
    if (!ok || i >= arr.items.size()) { ok = false; return nullptr; }
    return &arr.items[i++];
  }
  std::uint64_t u64(std::uint64_t max = ~0ull) {
    const node* n = next();
    if (!n || n->kind != node::uint || n->u > max) { ok = false; return 0; }
    return n->u;
  }
  bool boolean() {
    const node* n = next();
    if (!n || n->kind != node::boolean) { ok = false; return false; }
    return n->b;
  }
  bytes bin(std::size_t exact_or_max, bool exact) {
    const node* n = next();
    if (!n || n->kind != node::bin || (exact ? n->n != exact_or_max : n->n > exact_or_max)) { ok = false; return {}; }
    auto p = reinterpret_cast<const std::uint8_t*>(n->p);
    return bytes(p, p + n->n);
  }
  std::string str(std::size_t max) {
    const node* n = next();
    if (!n || n->kind != node::str || n->n > max) { ok = false; return {}; }
    return std::string(n->p, n->n);
  }
  const node* array(std::size_t max) {
    const node* n = next();
    if (!n || n->kind != node::array || n->items.size() > max) { ok = false; return nullptr; }
    return n;
  }
  bool done() const { return ok && i == arr.items.size(); }
};

inline error shape(const char* what) { return make_error(errc::malformed, std::string("malformed ") + what); }

inline result<value> node_value(const node& v) {
  switch (v.kind) {
    case node::nil: return value{};
    case node::boolean: return value{v.b};
    case node::uint:
      if (v.u > static_cast<std::uint64_t>(INT64_MAX)) return shape("op: integer out of range");
      return value{static_cast<std::int64_t>(v.u)};
    case node::sint: return value{v.i};
    case node::f64: return value{v.d};
    case node::str:
      if (v.n > limits::max_value_bytes) return make_error(errc::too_large, "field value is too long");
      return value{std::string(v.p, v.n)};
    case node::bin: {
      if (v.n > limits::max_value_bytes) return make_error(errc::too_large, "field value is too long");
      auto p = reinterpret_cast<const std::uint8_t*>(v.p);
      return value{bytes(p, p + v.n)};
    }
    default: return shape("op: value type");
  }
}

}  // namespace packline::codec::detail
