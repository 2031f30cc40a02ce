// Protocol state machine of one session (see sync_handler.hpp). Checks every
// pushed envelope (shape, space, actor, signature) before anything is stored;
// a push is stored in one transaction and acked only after it is durable.
#include "sync_handler.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>

#include "log.hpp"
#include "packline/codec.hpp"
#include "packline/crypto.hpp"
#include "packline/limits.hpp"
#include "tuning.hpp"

namespace packline::server {
namespace {

std::string short_hex(const bytes& b) {
  // Eight bytes identify a device or space in logs without flooding them.
  return to_hex(b.data(), std::min<std::size_t>(b.size(), 8));
}

constexpr std::uint64_t max_seq = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

}  // namespace

sync_handler::sync_handler(store& db, metrics& stats, bytes default_space, std::string peer)
    : db_(db), stats_(stats), default_space_(std::move(default_space)), peer_(std::move(peer)) {}

std::uint32_t sync_handler::wire_code(errc e) {
  auto c = static_cast<std::uint32_t>(e);
  if (c >= 1 && c <= 9) return c;
  switch (e) {
    case errc::not_found:
    case errc::invalid_argument:
      return static_cast<std::uint32_t>(errc::malformed);
    default:
      // crypto / corrupt / clock problems are the server's, not the client's.
      return static_cast<std::uint32_t>(errc::storage);
  }
}

reply sync_handler::fail(const error& e) {
  std::uint32_t code = wire_code(e.code);
  std::string text = e.message.empty() ? errc_message(e.code) : e.message;
  if (text.size() > limits::max_error_text) text.resize(limits::max_error_text);
  stats_.count_error(code);

  reply r;
  r.frames.push_back(codec::encode(proto::error{code, text}));
  // Only storage during a push is retryable on the same connection (PROTOCOL.md).
  r.close = !(code == static_cast<std::uint32_t>(errc::storage) && phase_ == phase::ready);
  log(code == static_cast<std::uint32_t>(errc::storage) ? log_level::error : log_level::warn,
      "protocol error", {{"peer", peer_}, {"code", code}, {"text", text},
                         {"device", short_hex(device_)}, {"close", r.close}});
  return r;
}

reply sync_handler::on_text_frame() { return fail(errc::malformed, "text frames are not spoken; binary only"); }

reply sync_handler::on_oversized_frame() { return fail(errc::too_large, "frame over max_frame_bytes"); }

reply sync_handler::on_frame(const std::uint8_t* data, std::size_t size) {
  stats_.frames_in.fetch_add(1, std::memory_order_relaxed);
  if (size > limits::max_frame_bytes) return on_oversized_frame();
  auto decoded = codec::decode(data, size);
  if (!decoded) return fail(decoded.err());

  return std::visit(
      [&](auto& m) -> reply {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, proto::hello>) {
          return on_hello(m);
        } else if constexpr (std::is_same_v<T, proto::auth>) {
          return on_auth(m);
        } else if constexpr (std::is_same_v<T, proto::push>) {
          return on_push(m);
        } else if constexpr (std::is_same_v<T, proto::pull>) {
          return on_pull(m);
        } else if constexpr (std::is_same_v<T, proto::error>) {
          // The client gave up on us; no answer, just close.
          log(log_level::info, "client error", {{"peer", peer_}, {"code", m.code}, {"text", m.text}});
          reply r;
          r.close = true;
          return r;
        } else {
          // challenge, welcome, ack, changes, notify only travel server -> client.
          return fail(errc::bad_state, "message type is sent by the server only");
        }
      },
      decoded.value());
}

reply sync_handler::on_hello(const proto::hello& m) {
  if (phase_ != phase::expect_hello) return fail(errc::bad_state, "hello already received");
  if (m.version != limits::protocol_version)
    return fail(errc::unsupported_version,
                "server speaks protocol version " + std::to_string(limits::protocol_version));
  if (m.device.size() != 32) return fail(errc::malformed, "device must be 32 bytes");
  if (!m.space.empty() && m.space.size() != 16) return fail(errc::malformed, "space must be 16 bytes or empty");

  bytes nonce = crypto::random_bytes(32);
  if (nonce.size() != 32) return fail(errc::crypto, "no randomness for the challenge");
  device_ = m.device;
  space_ = m.space.empty() ? default_space_ : m.space;
  nonce_ = std::move(nonce);
  phase_ = phase::expect_auth;

  reply r;
  r.frames.push_back(codec::encode(proto::challenge{nonce_, space_}));
  return r;
}

reply sync_handler::on_auth(const proto::auth& m) {
  if (phase_ != phase::expect_auth) return fail(errc::bad_state, "auth before hello or after welcome");
  if (!crypto::verify(device_, proto::auth_transcript(nonce_, space_), m.signature))
    return fail(errc::auth_failed, "challenge signature did not verify");

  auto cur = db_.cursor(space_);
  if (!cur) return fail(cur.err());
  phase_ = phase::ready;
  nonce_.clear();  // single use
  stats_.authenticated_total.fetch_add(1, std::memory_order_relaxed);
  log(log_level::info, "authenticated",
      {{"peer", peer_}, {"device", short_hex(device_)}, {"space", to_hex(space_)}, {"cursor", cur.value()}});

  reply r;
  r.frames.push_back(codec::encode(proto::welcome{space_, cur.value()}));
  r.joined = true;
  return r;
}

reply sync_handler::on_push(const proto::push& m) {
  if (phase_ != phase::ready) return fail(errc::bad_state, "push before welcome");
  if (m.envelopes.empty()) return fail(errc::malformed, "empty push");
  if (m.envelopes.size() > limits::max_push_envelopes) return fail(errc::too_large, "too many envelopes in push");

  // Check everything before storing anything: a push is all or nothing.
  std::vector<incoming_change> batch;
  batch.reserve(m.envelopes.size());
  for (const auto& raw : m.envelopes) {
    if (raw.size() > limits::max_envelope_bytes) return fail(errc::too_large, "envelope over max_envelope_bytes");
    auto env = codec::decode_envelope(raw);
    if (!env) return fail(env.err());
    const envelope& e = env.value();
    if (e.space != space_) return fail(errc::wrong_space, "envelope for another space");
    if (e.actor != device_) return fail(errc::not_actor, "envelope signed by another device");
    if (e.seq == 0 || e.seq > max_seq) return fail(errc::malformed, "envelope seq out of range");
    auto ok = crypto::verify_envelope(e);
    if (!ok) return fail(errc::bad_signature, ok.err().message);
    batch.push_back(incoming_change{e.actor, e.seq, raw});
  }

  // Durable before the ack: append() returns after COMMIT has been synced.
  auto stored = db_.append(space_, batch);
  if (!stored) return fail(stored.err());

  proto::ack ack;
  ack.entries.reserve(batch.size());
  std::uint64_t inserted = 0, highest = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& a = stored.value()[i];
    ack.entries.push_back(proto::ack_entry{batch[i].actor, batch[i].seq, a.server_seq});
    if (a.inserted) {
      ++inserted;
      highest = std::max(highest, a.server_seq);
    }
  }
  stats_.changes_in.fetch_add(inserted, std::memory_order_relaxed);
  stats_.changes_replayed.fetch_add(batch.size() - inserted, std::memory_order_relaxed);
  log(log_level::debug, "push stored",
      {{"peer", peer_}, {"envelopes", static_cast<std::uint64_t>(batch.size())}, {"new", inserted},
       {"cursor", highest}});

  reply r;
  r.frames.push_back(codec::encode(ack));
  r.published = highest;
  return r;
}

reply sync_handler::on_pull(const proto::pull& m) {
  if (phase_ != phase::ready) return fail(errc::bad_state, "pull before welcome");
  // max == 0 would answer "more" forever without progress; treat it as 1.
  std::uint32_t count = std::clamp<std::uint32_t>(m.max, 1, limits::max_pull_changes);
  std::size_t budget = limits::max_frame_bytes - tuning::changes_frame_overhead -
                       static_cast<std::size_t>(count) * tuning::changes_item_overhead;
  auto pg = db_.changes_since(space_, m.since, count, budget);
  if (!pg) return fail(pg.err());

  proto::changes out;
  out.items.reserve(pg.value().items.size());
  for (auto& s : pg.value().items) out.items.push_back(proto::stored_change{s.server_seq, std::move(s.envelope)});
  out.next = pg.value().next;
  out.more = pg.value().more;
  stats_.changes_out.fetch_add(out.items.size(), std::memory_order_relaxed);

  reply r;
  r.frames.push_back(codec::encode(out));
  if (r.frames.back().size() > limits::max_frame_bytes) {
    // Cannot happen while envelopes are capped at max_envelope_bytes; if it
    // does, the overhead constants in tuning.hpp are wrong.
    log(log_level::error, "changes frame over limit",
        {{"peer", peer_}, {"bytes", static_cast<std::uint64_t>(r.frames.back().size())}});
  }
  return r;
}

}  // namespace packline::server
