// The one codec (schema/PROTOCOL.md). Encoding uses msgpack-cxx's packer;
// decoding uses its visitor parser to build a small bounded tree, then checks
// each message's shape. No exceptions escape: malformed input is a result.
#include "packline/codec.hpp"

#include <cstring>

#include <msgpack.hpp>

#include "packline/limits.hpp"

namespace packline::codec {
namespace {

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

void pack_bin(packer& pk, const bytes& b) {
  pk.pack_bin(static_cast<std::uint32_t>(b.size()));
  pk.pack_bin_body(reinterpret_cast<const char*>(b.data()), static_cast<std::uint32_t>(b.size()));
}
// A writer (reg_ref) as its 8 key bytes.
void pack_writer(packer& pk, std::uint64_t w) {
  std::uint8_t b[8];
  store_be(b, w, 8);
  pk.pack_bin(8);
  pk.pack_bin_body(reinterpret_cast<const char*>(b), 8);
}
void pack_str(packer& pk, std::string_view s) {
  pk.pack_str(static_cast<std::uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}
void pack_value(packer& pk, const value& v) {
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
bool has_ext32_overflow(const std::uint8_t* d, std::size_t n) {
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
result<node> parse_tree(const std::uint8_t* data, std::size_t size, std::size_t limit, std::size_t max_items) {
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

error shape(const char* what) { return make_error(errc::malformed, std::string("malformed ") + what); }

result<value> node_value(const node& v) {
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

result<proto::message> decode_tree(const node& root) {
  using namespace proto;
  if (root.kind != node::array || root.items.empty()) return shape("frame: not an array");
  reader r{root};
  auto type = r.u64(255);
  switch (static_cast<msg_type>(type)) {
    case msg_type::hello: {
      hello m;
      m.version = static_cast<std::uint32_t>(r.u64(0xffffffff));
      m.device = r.bin(32, true);
      m.space = r.bin(16, false);
      if (!r.done() || (!m.space.empty() && m.space.size() != 16)) return shape("hello");
      return message{m};
    }
    case msg_type::challenge: {
      challenge m;
      m.nonce = r.bin(32, true);
      m.space = r.bin(16, true);
      if (!r.done()) return shape("challenge");
      return message{m};
    }
    case msg_type::auth: {
      auth m;
      m.signature = r.bin(64, true);
      if (root.items.size() == 3) m.lease = r.bin(limits::sealed_lease_bytes, false);  // v5
      if (!r.done()) return shape("auth");
      return message{m};
    }
    case msg_type::welcome: {
      welcome m;
      m.space = r.bin(16, true);
      m.cursor = r.u64();
      if (root.items.size() >= 4) m.snapshot = r.u64();  // v3
      if (root.items.size() >= 5) m.time = r.u64();      // v4
      if (root.items.size() == 6) m.lease = r.bin(limits::sealed_lease_bytes, false);  // v5
      if (!r.done()) return shape("welcome");
      return message{m};
    }
    case msg_type::push: {
      push m;
      const node* list = r.array(~0u);
      if (!r.done()) return shape("push");
      if (list->items.empty()) return shape("push: no envelopes");
      if (list->items.size() > limits::max_push_envelopes)
        return make_error(errc::too_large, "push holds too many envelopes");
      for (const node& e : list->items) {
        if (e.kind != node::bin) return shape("push: envelope is not bytes");
        if (e.n > limits::max_envelope_bytes) return make_error(errc::too_large, "envelope is larger than the limit");
        auto p = reinterpret_cast<const std::uint8_t*>(e.p);
        m.envelopes.emplace_back(p, p + e.n);
      }
      return message{std::move(m)};
    }
    case msg_type::ack: {
      ack m;
      const node* list = r.array(limits::max_push_envelopes);
      if (!r.done()) return shape("ack");
      for (const node& e : list->items) {
        if (e.kind != node::array) return shape("ack entry");
        reader er{e};
        ack_entry a;
        a.actor = er.bin(32, true);
        a.seq = er.u64();
        a.server_seq = er.u64();
        if (!er.done()) return shape("ack entry");
        m.entries.push_back(std::move(a));
      }
      return message{std::move(m)};
    }
    case msg_type::pull: {
      pull m;
      m.since = r.u64();
      m.max = static_cast<std::uint32_t>(r.u64(0xffffffff));
      if (!r.done()) return shape("pull");
      return message{m};
    }
    case msg_type::changes: {
      changes m;
      const node* list = r.array(limits::max_pull_changes);
      m.next = r.u64();
      m.more = r.boolean();
      if (!r.done()) return shape("changes");
      for (const node& e : list->items) {
        if (e.kind != node::array) return shape("changes entry");
        reader er{e};
        stored_change c;
        c.server_seq = er.u64();
        c.envelope = er.bin(limits::max_envelope_bytes, false);
        if (!er.done()) return shape("changes entry");
        m.items.push_back(std::move(c));
      }
      return message{std::move(m)};
    }
    case msg_type::notify: {
      notify m;
      m.cursor = r.u64();
      if (!r.done()) return shape("notify");
      return message{m};
    }
    case msg_type::error: {
      proto::error m;
      m.code = static_cast<std::uint32_t>(r.u64(0xffffffff));
      m.text = r.str(limits::max_error_text);
      if (!r.done()) return shape("error");
      return message{std::move(m)};
    }
    case msg_type::snapshot_put: {
      snapshot_put m;
      m.cursor = r.u64();
      m.total = r.u64(limits::max_snapshot_blob_bytes);
      m.offset = r.u64(limits::max_snapshot_blob_bytes);
      m.chunk = r.bin(limits::max_snapshot_chunk, false);
      if (!r.done()) return shape("snapshot_put");
      return message{std::move(m)};
    }
    case msg_type::snapshot_ack: {
      snapshot_ack m;
      m.cursor = r.u64();
      m.received = r.u64(limits::max_snapshot_blob_bytes);
      m.complete = r.boolean();
      if (!r.done()) return shape("snapshot_ack");
      return message{m};
    }
    case msg_type::snapshot_get: {
      snapshot_get m;
      m.cursor = r.u64();
      m.offset = r.u64(limits::max_snapshot_blob_bytes);
      if (!r.done()) return shape("snapshot_get");
      return message{m};
    }
    case msg_type::snapshot: {
      snapshot m;
      m.cursor = r.u64();
      m.total = r.u64(limits::max_snapshot_blob_bytes);
      m.offset = r.u64(limits::max_snapshot_blob_bytes);
      m.chunk = r.bin(limits::max_snapshot_chunk, false);
      if (!r.done()) return shape("snapshot");
      return message{std::move(m)};
    }
    case msg_type::live: {
      live m;
      m.prev = r.u64();
      const node* list = r.array(limits::max_pull_changes);
      if (!r.done()) return shape("live");
      for (const node& e : list->items) {
        if (e.kind != node::array) return shape("live entry");
        reader er{e};
        stored_change c;
        c.server_seq = er.u64();
        c.envelope = er.bin(limits::max_envelope_bytes, false);
        if (!er.done()) return shape("live entry");
        m.items.push_back(std::move(c));
      }
      return message{std::move(m)};
    }
    case msg_type::keyring_get: {
      keyring_get m;
      m.since = r.u64();
      if (!r.done()) return shape("keyring_get");
      return message{m};
    }
    case msg_type::keyring_page: {
      keyring_page m;
      const node* list = r.array(limits::max_pull_changes);
      m.next = r.u64();
      m.more = r.boolean();
      if (!r.done()) return shape("keyring_page");
      for (const node& e : list->items) {
        if (e.kind != node::array) return shape("keyring entry");
        reader er{e};
        stored_change c;
        c.server_seq = er.u64();
        c.envelope = er.bin(limits::max_envelope_bytes, false);
        if (!er.done()) return shape("keyring entry");
        m.items.push_back(std::move(c));
      }
      return message{std::move(m)};
    }
  }
  return make_error(errc::malformed, "unknown message type " + std::to_string(type));
}

// Bytes a message will take, roughly (so the sink of a large frame, e.g. a
// page of changes, grows at most once).
std::size_t message_size_hint(const proto::message& m) {
  std::size_t n = 64;
  auto items = [&](const std::vector<proto::stored_change>& v) {
    for (auto& c : v) n += c.envelope.size() + 16;
  };
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, proto::push>) {
          for (auto& e : x.envelopes) n += e.size() + 8;
        } else if constexpr (std::is_same_v<T, proto::changes> || std::is_same_v<T, proto::live> ||
                             std::is_same_v<T, proto::keyring_page>) {
          items(x.items);
        } else if constexpr (std::is_same_v<T, proto::snapshot> || std::is_same_v<T, proto::snapshot_put>) {
          n += x.chunk.size();
        } else if constexpr (std::is_same_v<T, proto::ack>) {
          n += x.entries.size() * 64;
        }
      },
      m);
  return n;
}
}  // namespace

bytes encode(const proto::message& m) {
  using namespace proto;
  byte_sink sink(message_size_hint(m));
  packer pk(sink);
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        auto head = [&](msg_type t, std::uint32_t n) {
          pk.pack_array(n + 1);
          pk.pack_uint8(static_cast<std::uint8_t>(t));
        };
        if constexpr (std::is_same_v<T, hello>) {
          head(msg_type::hello, 3); pk.pack_uint32(x.version); pack_bin(pk, x.device); pack_bin(pk, x.space);
        } else if constexpr (std::is_same_v<T, challenge>) {
          head(msg_type::challenge, 2); pack_bin(pk, x.nonce); pack_bin(pk, x.space);
        } else if constexpr (std::is_same_v<T, auth>) {
          head(msg_type::auth, x.lease.empty() ? 1 : 2); pack_bin(pk, x.signature);
          if (!x.lease.empty()) pack_bin(pk, x.lease);
        } else if constexpr (std::is_same_v<T, welcome>) {
          bool v5 = !x.lease.empty();
          head(msg_type::welcome, v5 ? 5 : x.time ? 4 : x.snapshot ? 3 : 2); pack_bin(pk, x.space); pk.pack_uint64(x.cursor);
          if (x.snapshot || x.time || v5) pk.pack_uint64(x.snapshot.value_or(0));  // later versions carry v3's field too
          if (x.time || v5) pk.pack_uint64(x.time.value_or(0));
          if (v5) pack_bin(pk, x.lease);
        } else if constexpr (std::is_same_v<T, push>) {
          head(msg_type::push, 1);
          pk.pack_array(static_cast<std::uint32_t>(x.envelopes.size()));
          for (auto& e : x.envelopes) pack_bin(pk, e);
        } else if constexpr (std::is_same_v<T, ack>) {
          head(msg_type::ack, 1);
          pk.pack_array(static_cast<std::uint32_t>(x.entries.size()));
          for (auto& e : x.entries) {
            pk.pack_array(3); pack_bin(pk, e.actor); pk.pack_uint64(e.seq); pk.pack_uint64(e.server_seq);
          }
        } else if constexpr (std::is_same_v<T, pull>) {
          head(msg_type::pull, 2); pk.pack_uint64(x.since); pk.pack_uint32(x.max);
        } else if constexpr (std::is_same_v<T, changes>) {
          head(msg_type::changes, 3);
          pk.pack_array(static_cast<std::uint32_t>(x.items.size()));
          for (auto& c : x.items) { pk.pack_array(2); pk.pack_uint64(c.server_seq); pack_bin(pk, c.envelope); }
          pk.pack_uint64(x.next);
          if (x.more) pk.pack_true(); else pk.pack_false();
        } else if constexpr (std::is_same_v<T, notify>) {
          head(msg_type::notify, 1); pk.pack_uint64(x.cursor);
        } else if constexpr (std::is_same_v<T, proto::error>) {
          head(msg_type::error, 2); pk.pack_uint32(x.code);
          pack_str(pk, std::string_view(x.text).substr(0, limits::max_error_text));
        } else if constexpr (std::is_same_v<T, snapshot_put>) {
          head(msg_type::snapshot_put, 4); pk.pack_uint64(x.cursor); pk.pack_uint64(x.total);
          pk.pack_uint64(x.offset); pack_bin(pk, x.chunk);
        } else if constexpr (std::is_same_v<T, snapshot_ack>) {
          head(msg_type::snapshot_ack, 3); pk.pack_uint64(x.cursor); pk.pack_uint64(x.received);
          if (x.complete) pk.pack_true(); else pk.pack_false();
        } else if constexpr (std::is_same_v<T, snapshot_get>) {
          head(msg_type::snapshot_get, 2); pk.pack_uint64(x.cursor); pk.pack_uint64(x.offset);
        } else if constexpr (std::is_same_v<T, snapshot>) {
          head(msg_type::snapshot, 4); pk.pack_uint64(x.cursor); pk.pack_uint64(x.total);
          pk.pack_uint64(x.offset); pack_bin(pk, x.chunk);
        } else if constexpr (std::is_same_v<T, live>) {
          head(msg_type::live, 2); pk.pack_uint64(x.prev);
          pk.pack_array(static_cast<std::uint32_t>(x.items.size()));
          for (auto& c : x.items) { pk.pack_array(2); pk.pack_uint64(c.server_seq); pack_bin(pk, c.envelope); }
        } else if constexpr (std::is_same_v<T, keyring_get>) {
          head(msg_type::keyring_get, 1); pk.pack_uint64(x.since);
        } else if constexpr (std::is_same_v<T, keyring_page>) {
          head(msg_type::keyring_page, 3);
          pk.pack_array(static_cast<std::uint32_t>(x.items.size()));
          for (auto& c : x.items) { pk.pack_array(2); pk.pack_uint64(c.server_seq); pack_bin(pk, c.envelope); }
          pk.pack_uint64(x.next);
          if (x.more) pk.pack_true(); else pk.pack_false();
        }
      },
      m);
  return sink.take();
}

result<proto::message> decode(const std::uint8_t* data, std::size_t size) {
  auto tree = parse_tree(data, size, limits::max_frame_bytes, limits::max_frame_items);
  if (!tree) return tree.err();
  return decode_tree(*tree);
}

bytes encode_envelope(const envelope& e) {
  byte_sink sink(e.payload.size() + e.space.size() + e.actor.size() + e.signature.size() + 32);
  packer pk(sink);
  pk.pack_array(7);
  pk.pack_uint8(1);
  pack_bin(pk, e.space);
  pack_bin(pk, e.actor);
  pk.pack_uint64(e.seq);
  pk.pack_uint32(e.epoch);
  pack_bin(pk, e.payload);
  pack_bin(pk, e.signature);
  return sink.take();
}

result<envelope> decode_envelope(const std::uint8_t* data, std::size_t size) {
  auto tree = parse_tree(data, size, limits::max_envelope_bytes, max_envelope_items);
  if (!tree) return tree.err();
  if (tree->kind != node::array) return shape("envelope");
  reader r{*tree};
  envelope e;
  if (r.u64(255) != 1) return make_error(errc::unsupported_version, "unknown envelope version");
  e.space = r.bin(16, true);
  e.actor = r.bin(32, true);
  e.seq = r.u64();
  e.epoch = static_cast<std::uint32_t>(r.u64(0xffffffff));
  e.payload = r.bin(limits::max_envelope_bytes, false);
  e.signature = r.bin(64, true);
  if (!r.done() || e.seq == 0) return shape("envelope");
  return e;
}

bytes envelope_signed_header(const envelope& e) {
  bytes out;
  out.reserve(15 + 16 + 32 + 12);
  append(out, std::string_view("packline-env-v1"));
  append(out, e.space);
  append(out, e.actor);
  append_be(out, e.seq, 8);
  append_be(out, e.epoch, 4);
  return out;
}

bytes envelope_signed_bytes(const envelope& e) {
  bytes out = envelope_signed_header(e);
  append(out, e.payload);
  return out;
}

// A text_ref on the wire: nil (none), or [actor bin or nil (= the change's actor), seq].
void pack_ref(packer& pk, const text_ref& r, const bytes& actor) {
  if (r.none()) { pk.pack_nil(); return; }
  pk.pack_array(2);
  if (r.actor == actor) pk.pack_nil(); else pack_bin(pk, r.actor);
  pk.pack_uint64(r.seq);
}

namespace {
// An upper bound of encode_body's size for the usual ops (so the sink
// grows at most once): headers, names, row and value, and each pred.
std::size_t body_size_hint(const change_body& c) {
  std::size_t n = 64 + c.deps.size() * 48;
  for (const op& o : c.ops) {
    n += 40 + o.table.size() + o.row.size() + o.field.size() + o.text.content.size() + o.pred.size() * 56;
    if (auto* s = std::get_if<std::string>(&o.val)) n += s->size();
    else if (auto* b = std::get_if<bytes>(&o.val)) n += b->size();
  }
  return n;
}
}  // namespace

bytes encode_body(const change_body& c, const bytes& actor) {
  byte_sink sink(body_size_hint(c));
  packer pk(sink);
  pk.pack_array(c.keyring != 0 ? 5 : c.deps.empty() ? 3 : 4);
  pk.pack_uint64(c.hlc.wall_ms);
  pk.pack_uint32(c.hlc.counter);
  pk.pack_array(static_cast<std::uint32_t>(c.ops.size()));
  for (const op& o : c.ops) {
    switch (o.kind) {
      case op_kind::set: pk.pack_array(o.pred.empty() ? 5 : 6); break;
      case op_kind::text_insert: pk.pack_array(8); break;
      case op_kind::text_remove: pk.pack_array(6); break;
    }
    pk.pack_uint8(static_cast<std::uint8_t>(o.kind));
    pack_str(pk, o.table);
    pack_bin(pk, o.row);
    pack_str(pk, o.field);
    if (o.kind == op_kind::set) {
      pack_value(pk, o.val);
      if (!o.pred.empty()) {
        pk.pack_array(static_cast<std::uint32_t>(o.pred.size()));
        for (auto& p : o.pred) {
          pk.pack_array(3); pack_writer(pk, p.writer); pk.pack_uint64(p.hlc.wall_ms); pk.pack_uint32(p.hlc.counter);
        }
      }
    } else if (o.kind == op_kind::text_insert) {
      pk.pack_uint64(o.text.id.seq);
      pack_ref(pk, o.text.left, actor);
      pack_ref(pk, o.text.right, actor);
      pack_str(pk, o.text.content);
    } else {
      pack_ref(pk, o.text.id, actor);
      pk.pack_uint64(o.text.len);
    }
  }
  if (!c.deps.empty() || c.keyring != 0) {
    pk.pack_array(static_cast<std::uint32_t>(c.deps.size()));
    for (auto& d : c.deps) { pk.pack_array(2); pack_bin(pk, d.actor); pk.pack_uint64(d.seq); }
  }
  if (c.keyring != 0) pk.pack_uint64(c.keyring);
  return sink.take();
}

// Change bodies are the hot path of applying (every op of every change), so
// they are read in place by a cursor instead of through the tree: no
// allocation but the decoded values themselves. Any mismatch or truncation
// clears `ok`; the first error wins.
struct cursor {
  const std::uint8_t* p;
  const std::uint8_t* end;
  bool ok = true;
  bool need(std::size_t n) {
    if (ok && static_cast<std::size_t>(end - p) >= n) return true;
    ok = false;
    return false;
  }
  std::uint64_t be(int n) {  // after need(n)
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = v << 8 | p[i];
    p += n;
    return v;
  }
  std::uint32_t array(std::uint32_t max) {
    if (!need(1)) return 0;
    std::uint8_t t = *p++;
    std::uint64_t n;
    if ((t & 0xf0) == 0x90) n = t & 0x0f;
    else if (t == 0xdc && need(2)) n = be(2);
    else if (t == 0xdd && need(4)) n = be(4);
    else return ok = false, 0;
    if (n > max) ok = false;
    return ok ? static_cast<std::uint32_t>(n) : 0;
  }
  bool nil() {
    if (!need(1) || *p != 0xc0) return false;
    ++p;
    return true;
  }
  // An integer: positive (u) or negative (i, when neg).
  bool integer(std::uint64_t& u, std::int64_t& i, bool& neg) {
    if (!need(1)) return false;
    std::uint8_t t = *p;
    neg = false;
    if (t <= 0x7f) { ++p; u = t; return true; }
    if (t >= 0xe0) { ++p; i = static_cast<std::int8_t>(t); neg = true; return true; }
    static const int widths[] = {1, 2, 4, 8};
    if (t >= 0xcc && t <= 0xcf) {
      int w = widths[t - 0xcc];
      ++p;
      if (!need(static_cast<std::size_t>(w))) return false;
      u = be(w);
      return true;
    }
    if (t >= 0xd0 && t <= 0xd3) {
      int w = widths[t - 0xd0];
      ++p;
      if (!need(static_cast<std::size_t>(w))) return false;
      std::uint64_t raw = be(w);
      int shift = 64 - 8 * w;  // sign-extend
      std::int64_t v = static_cast<std::int64_t>(raw << shift) >> shift;
      if (v >= 0) u = static_cast<std::uint64_t>(v);
      else { i = v; neg = true; }
      return true;
    }
    ok = false;
    return false;
  }
  std::uint64_t u64(std::uint64_t max = ~0ull) {
    std::uint64_t u = 0;
    std::int64_t i = 0;
    bool neg = false;
    if (!integer(u, i, neg) || neg || u > max) ok = false;
    return ok ? u : 0;
  }
  // A str (or bin) header: its bytes, in place.
  bool raw(bool bin, const char*& s, std::uint32_t& n) {
    if (!need(1)) return false;
    std::uint8_t t = *p++;
    std::uint64_t len;
    if (!bin && (t & 0xe0) == 0xa0) len = t & 0x1f;
    else if (t == (bin ? 0xc4 : 0xd9) && need(1)) len = be(1);
    else if (t == (bin ? 0xc5 : 0xda) && need(2)) len = be(2);
    else if (t == (bin ? 0xc6 : 0xdb) && need(4)) len = be(4);
    else return ok = false;
    if (!need(len)) return false;
    s = reinterpret_cast<const char*>(p);
    n = static_cast<std::uint32_t>(len);
    p += len;
    return true;
  }
  std::string str(std::size_t max) {
    const char* s = nullptr;
    std::uint32_t n = 0;
    if (!raw(false, s, n) || n > max) return ok = false, std::string{};
    return std::string(s, n);
  }
  bytes bin(std::size_t exact) {
    const char* s = nullptr;
    std::uint32_t n = 0;
    if (!raw(true, s, n) || n != exact) return ok = false, bytes{};
    auto q = reinterpret_cast<const std::uint8_t*>(s);
    return bytes(q, q + n);
  }
  // A writer: bin of 8 bytes, read as a big-endian number (reg_ref).
  std::uint64_t writer() {
    const char* s = nullptr;
    std::uint32_t n = 0;
    if (!raw(true, s, n) || n != 8) return ok = false, 0;
    return load_be(reinterpret_cast<const std::uint8_t*>(s), 8);
  }
  // A field value (as node_value gives it).
  result<value> val() {
    if (!need(1)) return shape("op");
    std::uint8_t t = *p;
    const char* s = nullptr;
    std::uint32_t n = 0;
    switch (t) {
      case 0xc0: ++p; return value{};
      case 0xc2: ++p; return value{false};
      case 0xc3: ++p; return value{true};
      case 0xca: {
        ++p;
        if (!need(4)) return shape("op");
        auto bits = static_cast<std::uint32_t>(be(4));
        float f;
        std::memcpy(&f, &bits, 4);
        return value{static_cast<double>(f)};
      }
      case 0xcb: {
        ++p;
        if (!need(8)) return shape("op");
        std::uint64_t bits = be(8);
        double d;
        std::memcpy(&d, &bits, 8);
        return value{d};
      }
      default: break;
    }
    bool is_bin = t >= 0xc4 && t <= 0xc6;
    if (is_bin || (t & 0xe0) == 0xa0 || (t >= 0xd9 && t <= 0xdb)) {
      if (!raw(is_bin, s, n)) return shape("op");
      if (n > limits::max_value_bytes) return make_error(errc::too_large, "field value is too long");
      if (!is_bin) return value{std::string(s, n)};
      auto q = reinterpret_cast<const std::uint8_t*>(s);
      return value{bytes(q, q + n)};
    }
    std::uint64_t u = 0;
    std::int64_t i = 0;
    bool neg = false;
    if (!integer(u, i, neg)) return shape("op: value type");
    if (neg) return value{i};
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return shape("op: integer out of range");
    return value{static_cast<std::int64_t>(u)};
  }
  // A text_ref: nil (none), or [actor bin32 or nil (= the change's actor), seq].
  bool ref(text_ref& r, const bytes& actor) {
    if (nil()) return true;
    if (array(2) != 2 || !ok) return ok = false;
    if (nil()) r.actor = actor;
    else r.actor = bin(32);
    r.seq = u64();
    return ok;
  }
};

std::optional<live_head> read_live_head(const bytes& frame) {
  cursor c{frame.data(), frame.data() + frame.size()};
  live_head h;
  if (c.array(3) != 3 || c.u64() != static_cast<std::uint64_t>(proto::msg_type::live)) return std::nullopt;
  h.prev = c.u64();
  h.count = c.array(UINT32_MAX);
  if (!c.ok) return std::nullopt;
  h.items_at = static_cast<std::size_t>(c.p - frame.data());
  return h;
}

bytes merge_live(const std::vector<const bytes*>& parts) {
  std::uint32_t count = 0;
  std::size_t size = 16;
  std::uint64_t prev = 0;
  std::vector<live_head> heads;
  for (const bytes* p : parts) {
    auto h = read_live_head(*p);
    if (!h) return {};
    if (heads.empty()) prev = h->prev;
    count += h->count;
    size += p->size() - h->items_at;
    heads.push_back(*h);
  }
  bytes out;
  out.reserve(size);
  out.push_back(0x93);
  out.push_back(static_cast<std::uint8_t>(proto::msg_type::live));
  out.push_back(0xcf);  // uint64: any msgpack width decodes the same
  append_be(out, prev, 8);
  out.push_back(0xdd);  // array32
  append_be(out, count, 4);
  for (std::size_t k = 0; k < parts.size(); ++k)
    out.insert(out.end(), parts[k]->begin() + static_cast<std::ptrdiff_t>(heads[k].items_at), parts[k]->end());
  return out;
}

result<change_body> decode_body(const bytes& b, const bytes& actor) {
  if (b.size() > limits::max_envelope_bytes) return make_error(errc::too_large, "frame is larger than the limit");
  if (b.empty()) return make_error(errc::malformed, "empty frame");
  cursor c{b.data(), b.data() + b.size()};
  change_body out;
  std::uint32_t n = c.array(5);
  if (!c.ok || n < 3) return shape("change");
  out.hlc.wall_ms = c.u64();
  out.hlc.counter = static_cast<std::uint32_t>(c.u64(0xffffffff));
  std::uint32_t n_ops = c.array(static_cast<std::uint32_t>(limits::max_ops_per_change));
  if (!c.ok) return shape("change");
  // Each op takes at least 5 bytes: a count beyond that is a lie.
  if (n_ops > b.size() / 5) return shape("change");
  out.ops.reserve(n_ops);
  for (std::uint32_t k = 0; k < n_ops; ++k) {
    std::uint32_t items = c.array(8);
    op& o = out.ops.emplace_back();  // in place (an op is large to move); on an error `out` is dropped
    auto kind = c.u64(255);
    o.table = c.str(limits::max_name_bytes);
    o.row = c.bin(16);
    o.field = c.str(limits::max_name_bytes);
    if (!c.ok) return shape("op");
    if (kind == static_cast<std::uint64_t>(op_kind::text_insert)) {
      o.kind = op_kind::text_insert;
      o.text.k = text_op::kind::insert;
      o.text.id = {actor, c.u64()};
      if (items != 8 || !c.ref(o.text.left, actor) || !c.ref(o.text.right, actor)) return shape("text insert");
      o.text.content = c.str(limits::max_value_bytes);
      if (!c.ok) return shape("text op");
    } else if (kind == static_cast<std::uint64_t>(op_kind::text_remove)) {
      o.kind = op_kind::text_remove;
      o.text.k = text_op::kind::remove;
      if (items != 6 || !c.ref(o.text.id, actor) || o.text.id.none()) return shape("text remove");
      o.text.len = c.u64();
      if (!c.ok) return shape("text op");
    } else if (kind == static_cast<std::uint64_t>(op_kind::set)) {
      if (items != 5 && items != 6) return shape("op");
      auto v = c.val();
      if (!v) return v.err();
      o.val = std::move(*v);
      if (items == 6) {
        std::uint32_t np = c.array(static_cast<std::uint32_t>(limits::max_deps));
        if (!c.ok) return shape("op pred");
        o.pred.reserve(np);
        for (std::uint32_t i = 0; i < np; ++i) {
          reg_ref r;
          if (c.array(3) != 3) return shape("op pred");
          r.writer = c.writer();
          r.hlc.wall_ms = c.u64();
          r.hlc.counter = static_cast<std::uint32_t>(c.u64(0xffffffff));
          if (!c.ok) return shape("op pred");
          o.pred.push_back(std::move(r));
        }
      }
    } else {
      return shape("op: unknown kind");
    }
  }
  if (n >= 4) {
    std::uint32_t nd = c.array(static_cast<std::uint32_t>(limits::max_deps));
    if (!c.ok) return shape("change deps");
    for (std::uint32_t i = 0; i < nd; ++i) {
      change_ref d;
      if (c.array(2) != 2) return shape("change dep");
      d.actor = c.bin(32);
      d.seq = c.u64();
      if (!c.ok || d.seq == 0) return shape("change dep");
      out.deps.push_back(std::move(d));
    }
  }
  if (n == 5) {
    out.keyring = c.u64();
    if (!c.ok || out.keyring == 0) return shape("change keyring length");
  }
  if (c.p != c.end) return make_error(errc::malformed, "trailing bytes after the message");
  return out;
}

// Snapshot: [1, space, cursor, covered, heads, regs, texts]
//   covered/heads = [[actor, seq], ...]
//   regs = [[table, row, field, actor, wall, counter, value], ...]
//   texts = [[table, row, field, doc bin], ...]
bytes encode_snapshot(const replica_snapshot& s) {
  byte_sink sink;
  packer pk(sink);
  auto refs = [&](const std::vector<change_ref>& v) {
    pk.pack_array(static_cast<std::uint32_t>(v.size()));
    for (auto& r : v) { pk.pack_array(2); pack_bin(pk, r.actor); pk.pack_uint64(r.seq); }
  };
  pk.pack_array(7);
  pk.pack_uint8(1);
  pack_bin(pk, s.space);
  pk.pack_uint64(s.cursor);
  refs(s.covered);
  refs(s.heads);
  pk.pack_array(static_cast<std::uint32_t>(s.regs.size()));
  for (auto& r : s.regs) {
    pk.pack_array(7);
    pack_str(pk, r.table); pack_bin(pk, r.row); pack_str(pk, r.field); pack_writer(pk, r.write.writer);
    pk.pack_uint64(r.write.hlc.wall_ms); pk.pack_uint32(r.write.hlc.counter); pack_value(pk, r.val);
  }
  pk.pack_array(static_cast<std::uint32_t>(s.texts.size()));
  for (auto& t : s.texts) {
    pk.pack_array(4);
    pack_str(pk, t.table); pack_bin(pk, t.row); pack_str(pk, t.field); pack_bin(pk, t.doc);
  }
  return sink.take();
}

result<replica_snapshot> decode_snapshot(const bytes& b) {
  auto tree = parse_tree(b.data(), b.size(), limits::max_replica_snapshot_bytes, b.size());
  if (!tree) return tree.err();
  if (tree->kind != node::array) return shape("snapshot");
  reader r{*tree};
  replica_snapshot s;
  if (r.u64(255) != 1) return make_error(errc::unsupported_version, "unknown snapshot version");
  s.space = r.bin(16, true);
  s.cursor = r.u64();
  auto refs = [&](std::vector<change_ref>& out) {
    const node* l = r.array(~0u);
    if (!l) return false;
    for (const node& n : l->items) {
      if (n.kind != node::array) return false;
      reader rr{n};
      change_ref c;
      c.actor = rr.bin(32, true);
      c.seq = rr.u64();
      if (!rr.done()) return false;
      out.push_back(std::move(c));
    }
    return true;
  };
  if (!refs(s.covered) || !refs(s.heads)) return shape("snapshot refs");
  const node* regs = r.array(~0u);
  const node* texts = r.array(~0u);
  if (!r.done()) return shape("snapshot");
  for (const node& n : regs->items) {
    if (n.kind != node::array) return shape("snapshot register");
    reader rr{n};
    replica_snapshot::reg_entry e;
    e.table = rr.str(limits::max_name_bytes);
    e.row = rr.bin(16, true);
    e.field = rr.str(limits::max_name_bytes);
    bytes w = rr.bin(8, true);
    if (w.size() == 8) e.write.writer = load_be(w.data(), 8);
    e.write.hlc.wall_ms = rr.u64();
    e.write.hlc.counter = static_cast<std::uint32_t>(rr.u64(0xffffffff));
    const node* v = rr.next();
    if (!rr.done() || !v) return shape("snapshot register");
    auto val = node_value(*v);
    if (!val) return val.err();
    e.val = std::move(*val);
    s.regs.push_back(std::move(e));
  }
  for (const node& n : texts->items) {
    if (n.kind != node::array) return shape("snapshot text");
    reader rr{n};
    replica_snapshot::text_entry t;
    t.table = rr.str(limits::max_name_bytes);
    t.row = rr.bin(16, true);
    t.field = rr.str(limits::max_name_bytes);
    t.doc = rr.bin(limits::max_replica_snapshot_bytes, false);
    if (!rr.done()) return shape("snapshot text");
    s.texts.push_back(std::move(t));
  }
  return s;
}

bytes encode_snapshot_blob(const snapshot_blob& b) {
  byte_sink sink(b.body.size() + 160);
  packer pk(sink);
  pk.pack_array(7);
  pk.pack_uint8(1);
  pack_bin(pk, b.space);
  pk.pack_uint64(b.cursor);
  pk.pack_uint32(b.epoch);
  pack_bin(pk, b.device);
  pack_bin(pk, b.body);
  pack_bin(pk, b.signature);
  return sink.take();
}

result<snapshot_blob> decode_snapshot_blob(const bytes& b) {
  auto tree = parse_tree(b.data(), b.size(), limits::max_snapshot_blob_bytes, b.size());
  if (!tree) return tree.err();
  if (tree->kind != node::array || tree->items.empty()) return make_error(errc::malformed, "not a Packline snapshot");
  reader r{*tree};
  if (r.u64(255) != 1) return make_error(errc::unsupported_version, "a snapshot of an unknown format");
  snapshot_blob s;
  s.space = r.bin(16, true);
  s.cursor = r.u64();
  s.epoch = static_cast<std::uint32_t>(r.u64(0xffffffff));
  s.device = r.bin(32, true);
  s.body = r.bin(limits::max_snapshot_blob_bytes, false);
  s.signature = r.bin(64, true);
  if (!r.done()) return make_error(errc::malformed, "the snapshot is damaged (its header does not parse)");
  return s;
}

bytes snapshot_blob_header(const snapshot_blob& b) {
  bytes out;
  append(out, std::string_view("packline-snap-v1"));
  append(out, b.space);
  append_be(out, b.cursor, 8);
  append_be(out, b.epoch, 4);
  append(out, b.device);
  return out;
}

// ---------- keyring records ----------
// [kind, admin_pk, member, device, xpk, invite_id, invite_pk, sealed, role,
//  expires_ms, at_ms, lease_ms, epoch, [[device, sealed], ...], prev, sig]
// Fixed arity: unused fields are empty; keyring::state checks exact sizes.
bytes encode_keyring(const keyring::record& r) {
  byte_sink sink;
  packer pk(sink);
  pk.pack_array(16);
  pk.pack_uint8(static_cast<std::uint8_t>(r.k));
  for (const bytes* b : {&r.admin_pk, &r.member, &r.device, &r.xpk, &r.invite_id, &r.invite_pk, &r.sealed}) pack_bin(pk, *b);
  pack_str(pk, r.role);
  pk.pack_uint64(r.expires_ms);
  pk.pack_uint64(r.at_ms);
  pk.pack_uint64(r.lease_ms);
  pk.pack_uint32(r.epoch);
  pk.pack_array(static_cast<std::uint32_t>(r.grants.size()));
  for (auto& g : r.grants) {
    pk.pack_array(2);
    pack_bin(pk, g.device);
    pack_bin(pk, g.sealed);
  }
  pack_bin(pk, r.prev);
  pack_bin(pk, r.sig);
  return sink.take();
}

result<keyring::record> decode_keyring(const bytes& b) {
  // A sealed key is 32 + 48 bytes; 256 leaves room for other key sizes.
  constexpr std::size_t max_field = 256;
  // A record's fixed fields, and a device and a sealed key per grant.
  constexpr std::size_t max_items = 64 + 3 * keyring::max_grants;
  auto tree = parse_tree(b.data(), b.size(), limits::max_envelope_bytes, max_items);
  if (!tree) return tree.err();
  if (tree->kind != node::array) return shape("keyring record");
  reader r{*tree};
  keyring::record k;
  auto kind = r.u64(255);
  if (kind < 1 || kind > 12) return shape("keyring record: kind");
  k.k = static_cast<keyring::kind>(kind);
  for (bytes* f : {&k.admin_pk, &k.member, &k.device, &k.xpk, &k.invite_id, &k.invite_pk, &k.sealed}) *f = r.bin(max_field, false);
  k.role = r.str(limits::max_name_bytes);
  k.expires_ms = r.u64();
  k.at_ms = r.u64();
  k.lease_ms = r.u64();
  k.epoch = static_cast<std::uint32_t>(r.u64(0xffffffff));
  const node* grants = r.array(keyring::max_grants);
  k.prev = r.bin(32, false);
  k.sig = r.bin(64, false);
  if (!r.done()) return shape("keyring record");
  for (const node& g : grants->items) {
    if (g.kind != node::array) return shape("keyring grant");
    reader gr{g};
    keyring::grant x;
    x.device = gr.bin(32, true);
    x.sealed = gr.bin(max_field, false);
    if (!gr.done()) return shape("keyring grant");
    k.grants.push_back(std::move(x));
  }
  return k;
}


// ---------- a structured pack ----------
namespace {

void pack_strs(packer& pk, const std::vector<std::string>& v) {
  pk.pack_array(static_cast<std::uint32_t>(v.size()));
  for (auto& x : v) pack_str(pk, x);
}
void pack_evidence(packer& pk, const pack::evidence& e) {
  pk.pack_int64(e.page);
  pk.pack_int64(e.line);
  pk.pack_double(e.confidence);
}

// The reader's numbers and string lists, as a structured pack uses them.
struct pack_reader : reader {
  std::int64_t i64() {
    const node* n = next();
    if (!n || (n->kind != node::uint && n->kind != node::sint) || (n->kind == node::uint && n->u > INT64_MAX)) {
      ok = false;
      return 0;
    }
    return n->kind == node::uint ? static_cast<std::int64_t>(n->u) : n->i;
  }
  int i32() { return static_cast<int>(std::clamp<std::int64_t>(i64(), INT32_MIN, INT32_MAX)); }
  double f64() {
    const node* n = next();
    if (!n || n->kind != node::f64) { ok = false; return 0; }
    return n->d;
  }
  std::string text() { return str(~0u); }
  std::vector<std::string> strs() {
    std::vector<std::string> out;
    const node* a = array(~0u);
    if (!a) return out;
    for (auto& x : a->items) {
      if (x.kind != node::str) { ok = false; break; }
      out.emplace_back(x.p, x.n);
    }
    return out;
  }
  pack::evidence evidence() {
    pack::evidence e;
    e.page = i32();
    e.line = i32();
    e.confidence = f64();
    return e;
  }
  // Each element of an array field, as an array of its own.
  template <class F>
  void each(F&& f) {
    const node* a = array(~0u);
    if (!a) return;
    for (auto& x : a->items) {
      if (x.kind != node::array) { ok = false; return; }
      pack_reader r{{x}};
      f(r);
      if (!r.done()) { ok = false; return; }
    }
  }
};

}  // namespace

bytes encode_parsed(const pack::parsed& p) {
  byte_sink sink;
  packer pk(sink);
  pk.pack_array(14);
  pack_str(pk, p.kind);
  const auto& m = p.meeting;
  pk.pack_array(14);
  for (auto* f : {&m.body, &m.title, &m.date, &m.time, &m.venue, &m.membership, &m.chair, &m.vice_chair}) pack_str(pk, *f);
  pack_strs(pk, m.members);
  pack_strs(pk, m.independent_members);
  pk.pack_int64(m.quorum);
  pack_str(pk, m.public_deadline);
  pack_strs(pk, m.vice_chairs);
  pk.pack_array(static_cast<std::uint32_t>(m.found.size()));
  for (auto& [what, e] : m.found) {
    pk.pack_array(4);
    pack_str(pk, what);
    pack_evidence(pk, e);
  }
  pk.pack_array(static_cast<std::uint32_t>(p.items.size()));
  for (auto& it : p.items) {
    pk.pack_array(14);
    for (auto* f : {&it.number, &it.title, &it.pages, &it.description}) pack_str(pk, *f);
    pk.pack_int64(it.first_page);
    pk.pack_int64(it.last_page);
    if (it.exempt) pk.pack_true(); else pk.pack_false();
    for (auto* f : {&it.document, &it.minute, &it.parent, &it.note}) pack_str(pk, *f);
    pack_evidence(pk, it.found);
  }
  pk.pack_array(static_cast<std::uint32_t>(p.documents.size()));
  for (auto& d : p.documents) {
    pk.pack_array(7);
    pk.pack_int64(d.item);
    pack_str(pk, d.title);
    pk.pack_int64(d.first_page);
    pk.pack_int64(d.last_page);
    pk.pack_uint64(d.first_block);
    pk.pack_uint64(d.blocks);
    if (d.appendix) pk.pack_true(); else pk.pack_false();
  }
  pk.pack_array(static_cast<std::uint32_t>(p.blocks.size()));
  for (auto& b : p.blocks) {
    pk.pack_array(4);
    pack_str(pk, b.kind);
    pack_str(pk, b.text);
    pk.pack_int64(b.page);
    pk.pack_int64(b.item);
  }
  pk.pack_array(static_cast<std::uint32_t>(p.forward_plan.size()));
  for (auto& f : p.forward_plan) {
    pk.pack_array(8);
    for (auto* x : {&f.meeting_label, &f.meeting_date, &f.title, &f.notes, &f.raised_by, &f.lead, &f.kloes, &f.approach}) pack_str(pk, *x);
  }
  pk.pack_array(static_cast<std::uint32_t>(p.priorities.size()));
  for (auto& x : p.priorities) {
    pk.pack_array(2);
    pk.pack_int64(x.number);
    pack_str(pk, x.title);
  }
  pk.pack_array(static_cast<std::uint32_t>(p.answers.size()));
  for (auto& a : p.answers) {
    pk.pack_array(7);
    for (auto* x : {&a.meeting_date, &a.number, &a.question, &a.lead, &a.text, &a.recording_time}) pack_str(pk, *x);
    if (a.written) pk.pack_true(); else pk.pack_false();
  }
  pk.pack_int64(p.pages);
  pk.pack_array(3);
  for (bool b : {p.pages_exact, p.outline_used, p.page_labels_used}) { if (b) pk.pack_true(); else pk.pack_false(); }
  pack_str(pk, p.fingerprint);
  pack_strs(pk, p.warnings);
  // (14 fields: kind, meeting, items, documents, blocks, forward plan,
  // priorities, answers, pages, flags, fingerprint, warnings, and two spare
  // nils so a later field does not change the shape.)
  pk.pack_nil();
  pk.pack_nil();
  return sink.take();
}

result<pack::parsed> decode_parsed(const bytes& b) {
  // It comes from the same page's worker, not the network: bounded by its own size.
  auto tree = parse_tree(b.data(), b.size(), std::size_t{1} << 30, b.size() + 1);
  if (!tree) return tree.err();
  if (tree->kind != node::array) return shape("structured pack");
  pack_reader r{{*tree}};
  pack::parsed p;
  p.kind = r.text();
  const node* mn = r.array(16);
  if (!mn) return shape("structured pack: meeting");
  pack_reader mr{{*mn}};
  auto& m = p.meeting;
  for (auto* f : {&m.body, &m.title, &m.date, &m.time, &m.venue, &m.membership, &m.chair, &m.vice_chair}) *f = mr.text();
  m.members = mr.strs();
  m.independent_members = mr.strs();
  m.quorum = mr.i32();
  m.public_deadline = mr.text();
  m.vice_chairs = mr.strs();
  mr.each([&](pack_reader& x) {
    std::string what = x.text();
    m.found.emplace_back(std::move(what), x.evidence());
  });
  if (!mr.done()) return shape("structured pack: meeting");
  r.each([&](pack_reader& x) {
    pack::item it;
    for (auto* f : {&it.number, &it.title, &it.pages, &it.description}) *f = x.text();
    it.first_page = x.i32();
    it.last_page = x.i32();
    it.exempt = x.boolean();
    for (auto* f : {&it.document, &it.minute, &it.parent, &it.note}) *f = x.text();
    it.found = x.evidence();
    p.items.push_back(std::move(it));
  });
  r.each([&](pack_reader& x) {
    pack::document d;
    d.item = x.i32();
    d.title = x.text();
    d.first_page = x.i32();
    d.last_page = x.i32();
    d.first_block = static_cast<std::size_t>(x.u64());
    d.blocks = static_cast<std::size_t>(x.u64());
    d.appendix = x.boolean();
    p.documents.push_back(std::move(d));
  });
  r.each([&](pack_reader& x) {
    pack::block bl;
    bl.kind = x.text();
    bl.text = x.text();
    bl.page = x.i32();
    bl.item = x.i32();
    p.blocks.push_back(std::move(bl));
  });
  r.each([&](pack_reader& x) {
    pack::forward_row f;
    for (auto* y : {&f.meeting_label, &f.meeting_date, &f.title, &f.notes, &f.raised_by, &f.lead, &f.kloes, &f.approach}) *y = x.text();
    p.forward_plan.push_back(std::move(f));
  });
  r.each([&](pack_reader& x) {
    pack::priority pr;
    pr.number = x.i32();
    pr.title = x.text();
    p.priorities.push_back(std::move(pr));
  });
  r.each([&](pack_reader& x) {
    pack::answer a;
    for (auto* y : {&a.meeting_date, &a.number, &a.question, &a.lead, &a.text, &a.recording_time}) *y = x.text();
    a.written = x.boolean();
    p.answers.push_back(std::move(a));
  });
  p.pages = r.i32();
  const node* flags = r.array(3);
  if (!flags || flags->items.size() != 3) return shape("structured pack: flags");
  pack_reader fr{{*flags}};
  p.pages_exact = fr.boolean();
  p.outline_used = fr.boolean();
  p.page_labels_used = fr.boolean();
  p.fingerprint = r.text();
  p.warnings = r.strs();
  r.next();
  r.next();
  if (!r.done() || !fr.done()) return shape("structured pack");
  // Every block's and document's item is one of the items.
  auto in_items = [&](int k) { return k >= -1 && k < static_cast<int>(p.items.size()); };
  for (auto& bl : p.blocks)
    if (!in_items(bl.item)) return shape("structured pack: block item");
  for (auto& d : p.documents)
    if (!in_items(d.item) || d.first_block + d.blocks > p.blocks.size()) return shape("structured pack: document");
  return p;
}

}  // namespace packline::codec
