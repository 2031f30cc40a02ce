// The codec, part two: change bodies (ops, text edits, deps) to msgpack and
// back, and live frames merged without decoding their envelopes
// (schema/PROTOCOL.md "Change body").
#include "packline/wire/codec.hpp"

#include "wire/msgpack_tree.hpp"

namespace packline::codec {
using namespace detail;


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

}  // namespace packline::codec
