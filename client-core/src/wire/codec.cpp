// The one codec (schema/PROTOCOL.md), part one: protocol frames and
// envelopes with their signed header, and the auth transcript. Encoding uses
// msgpack-cxx's packer; decoding builds a small bounded tree
// (msgpack_tree.hpp), then checks each message's shape. No exceptions
// escape: malformed input is a result.
#include "packline/wire/codec.hpp"

#include "wire/msgpack_tree.hpp"

namespace packline::codec {
using namespace detail;
namespace {

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

}  // namespace packline::codec

namespace packline::proto {
bytes auth_transcript(const bytes& nonce, const bytes& space) {
  bytes t;
  append(t, std::string_view("packline-auth-v1"));
  append(t, nonce);
  append(t, space);
  return t;
}
}  // namespace packline::proto
