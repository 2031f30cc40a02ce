// Client side of the sync protocol (schema/PROTOCOL.md): hello/auth, then one
// pull and one push in flight at a time. Rejected remote changes are reported
// and skipped so one bad change never stops the sync of everything else.
#include "packline/sync.hpp"

#include "packline/codec.hpp"
#include "packline/limits.hpp"

namespace packline {

const char* to_string(sync_state s) {
  switch (s) {
    case sync_state::offline: return "offline";
    case sync_state::connecting: return "connecting";
    case sync_state::syncing: return "syncing";
    case sync_state::synced: return "synced";
  }
  return "offline";
}

std::vector<bytes> sync_session::on_open() {
  phase_ = phase::hello_sent;
  push_in_flight_ = pull_in_flight_ = false;
  return {codec::encode(proto::hello{limits::protocol_version, r_.device_id(), r_.space()})};
}

void sync_session::on_close() {
  phase_ = phase::closed;
  push_in_flight_ = pull_in_flight_ = false;
}

sync_state sync_session::state() const {
  switch (phase_) {
    case phase::closed: return sync_state::offline;
    case phase::hello_sent:
    case phase::auth_sent: return sync_state::connecting;
    case phase::ready: break;
  }
  if (push_in_flight_ || pull_in_flight_ || server_cursor_ > r_.cursor() || r_.pending_count() > 0)
    return sync_state::syncing;
  return sync_state::synced;
}

std::vector<std::string> sync_session::take_rejections() { return std::exchange(rejections_, {}); }
bool sync_session::take_dirty() { return std::exchange(dirty_, false); }

std::vector<bytes> sync_session::flush() { return phase_ == phase::ready ? next_frames() : std::vector<bytes>{}; }

// One change from the server, in server order. A refused change is reported
// and skipped (the cursor moves on); a storage failure stops the batch so
// nothing is lost (it is pulled again).
result<void> sync_session::apply_stored(const proto::stored_change& c, std::uint64_t now_ms) {
  if (c.server_seq <= r_.cursor()) return {};
  auto a = r_.apply(c.envelope, c.server_seq, now_ms);
  if (!a) {
    if (a.err().code == errc::storage) return a.err();
    rejections_.push_back("change " + std::to_string(c.server_seq) + " refused: " + a.err().message);
  } else if (*a == apply_status::applied) {
    dirty_ = true;
  }
  return r_.set_cursor(c.server_seq);
}

std::vector<bytes> sync_session::next_frames() {
  std::vector<bytes> out;
  // A device redeeming an invite is not a member until the server has its
  // join, and the server refuses its pulls until then: push first.
  bool joining = r_.joining() && r_.pending_count() > 0;
  if (!pull_in_flight_ && server_cursor_ > r_.cursor() && !joining) {
    out.push_back(codec::encode(proto::pull{r_.cursor(), limits::max_pull_changes}));
    pull_in_flight_ = true;
  }
  if (!push_in_flight_) {
    // Fill a push up to the envelope count and frame size limits.
    auto envs = r_.pending(limits::max_push_envelopes);
    std::size_t total = 64;
    std::size_t n = 0;
    while (n < envs.size() && total + envs[n].size() + 8 <= limits::max_frame_bytes) total += envs[n++].size() + 8;
    envs.resize(n);
    if (!envs.empty()) {
      out.push_back(codec::encode(proto::push{std::move(envs)}));
      push_in_flight_ = true;
    }
  }
  return out;
}

result<std::vector<bytes>> sync_session::on_frame(const bytes& frame, std::uint64_t now_ms) {
  auto m = codec::decode(frame);
  if (!m) return m.err();
  return std::visit(
      [&](auto& msg) -> result<std::vector<bytes>> {
        using T = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<T, proto::challenge>) {
          if (phase_ != phase::hello_sent) return make_error(errc::bad_state, "unexpected challenge");
          bytes sp = r_.space();
          if (!sp.empty() && sp != msg.space) return make_error(errc::wrong_space, "the server offered another panel");
          phase_ = phase::auth_sent;
          return std::vector<bytes>{codec::encode(proto::auth{r_.key_sign(proto::auth_transcript(msg.nonce, msg.space))})};
        } else if constexpr (std::is_same_v<T, proto::welcome>) {
          if (phase_ != phase::auth_sent) return make_error(errc::bad_state, "unexpected welcome");
          PL_TRY(r_.set_space(msg.space));
          PL_TRY(r_.contacted(now_ms));  // the offline lease starts again (issue 4)
          phase_ = phase::ready;
          server_cursor_ = msg.cursor;
          return next_frames();
        } else if constexpr (std::is_same_v<T, proto::ack>) {
          if (phase_ != phase::ready || !push_in_flight_) return make_error(errc::bad_state, "unexpected ack");
          bool was_joining = r_.joining();
          for (auto& a : msg.entries) PL_TRY(r_.acked(a.actor, a.seq, a.server_seq));
          // The join is stored: the keyring (and our keys) come with the pull.
          if (was_joining) server_cursor_ = std::max(server_cursor_, r_.cursor() + 1);
          push_in_flight_ = false;
          dirty_ = true;  // pending count changed
          return next_frames();
        } else if constexpr (std::is_same_v<T, proto::changes>) {
          if (phase_ != phase::ready || !pull_in_flight_) return make_error(errc::bad_state, "unexpected changes");
          for (auto& c : msg.items) {
            PL_TRY(apply_stored(c, now_ms));
          }
          if (msg.next > r_.cursor()) PL_TRY(r_.set_cursor(msg.next));
          server_cursor_ = std::max(server_cursor_, r_.cursor() + (msg.more ? 1 : 0));
          pull_in_flight_ = false;
          return next_frames();
        } else if constexpr (std::is_same_v<T, proto::live>) {
          // v2: changes sent unasked once caught up. Applied when they follow
          // what we have; after a gap (prev beyond our cursor) we pull instead.
          if (phase_ != phase::ready) return make_error(errc::bad_state, "unexpected live");
          std::uint64_t last = msg.items.empty() ? msg.prev : msg.items.back().server_seq;
          if (msg.prev > r_.cursor()) {
            server_cursor_ = std::max(server_cursor_, last);
            return next_frames();
          }
          for (auto& c : msg.items) {
            PL_TRY(apply_stored(c, now_ms));
          }
          server_cursor_ = std::max(server_cursor_, r_.cursor());
          return next_frames();
        } else if constexpr (std::is_same_v<T, proto::notify>) {
          if (phase_ != phase::ready) return make_error(errc::bad_state, "unexpected notify");
          server_cursor_ = std::max(server_cursor_, msg.cursor);
          return next_frames();
        } else if constexpr (std::is_same_v<T, proto::error>) {
          if (msg.code == static_cast<std::uint32_t>(errc::storage)) {
            push_in_flight_ = false;  // the server could not store it: retry
            return std::vector<bytes>{};
          }
          errc code = static_cast<errc>(msg.code);
          if (msg.code == proto::error_not_member) code = errc::not_member;
          if (msg.code == proto::error_revoked) code = errc::revoked;
          if (msg.code == proto::error_forbidden) code = errc::forbidden;
          return make_error(code, "the server refused: " + msg.text);
        } else {
          return make_error(errc::bad_state, "the server sent a message only clients send");
        }
      },
      *m);
}

}  // namespace packline
