// The networking of the sync server, in Beast's "advanced server flex" /
// chat-multi shape: listener -> http_session (static webapp, /healthz,
// /metrics, upgrade on /sync) -> websocket_session (one sync_handler, one
// outbound queue, one write in flight), each templated on the stream: plain
// TCP, or TLS when --tls-cert/--tls-key are given. ONE io_context thread runs
// the networking, so sessions and hubs need no locks; signature checks and the
// store run in the engine (engine.hpp), whose results are posted back here.
#include "server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/version.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <algorithm>
#include <csignal>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

#include "engine.hpp"
#include "hub.hpp"
#include "packline/wire/codec.hpp"
#include "packline/base/limits.hpp"
#include "static_files.hpp"
#include "sync_handler.hpp"
#include "tuning.hpp"

namespace packline::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

constexpr const char* server_name = "packline-server";

// Anything the shutdown must be able to stop: http and websocket sessions.
class closable {
 public:
  virtual void shutdown() = 0;
  // Bytes queued for the peer (WebSocket sessions), and what to do when the
  // server as a whole holds too many: drop them and cut the connection.
  virtual std::size_t queued() const { return 0; }
  virtual void shed() {}

 protected:
  ~closable() = default;
};

// State shared by every session; lives for the whole serve() call. Touched
// from the io_context thread only (the engine is thread-safe itself).
struct shared_state {
  shared_state(net::io_context& ioc, app& a, services& svc) : ioc(ioc), a(a), svc(svc), grace(ioc) {}
  net::io_context& ioc;
  app& a;
  services& svc;
  std::optional<ssl::context> tls;  // set: every connection is TLS
  hub_registry hubs;
  std::unordered_set<closable*> sessions;  // raw: each session erases itself in its destructor
  bool stopping = false;
  bool finished = false;  // ioc.run() returned: the timer below is being torn down
  std::uint64_t next_id = 1;
  net::steady_timer grace;

  // Outbound bytes queued by every session together (see tuning.hpp).
  std::size_t outbound_bytes = 0;
  bool shed_scheduled = false;

  void queued_more(std::size_t n) {
    outbound_bytes += n;
    if (outbound_bytes <= a.opts.outbound_cap || shed_scheduled) return;
    // Later, not inside the enqueue that crossed the line: shedding closes
    // sessions, maybe the caller's own.
    shed_scheduled = true;
    net::post(ioc, [this] { shed(); });
  }

  // The sessions holding the most are dropped until the total is back under
  // the low mark; everyone else keeps syncing. A session holds bytes only
  // while a write to it is in flight, so it could not be told anything before
  // that frame is taken: it is cut at once, which frees its frames now, and
  // the client reconnects and pulls from its cursor, as error{resync} asks.
  void shed() {
    shed_scheduled = false;
    if (outbound_bytes <= a.opts.outbound_cap) return;
    std::vector<std::pair<std::size_t, closable*>> big;
    for (auto* s : sessions)
      if (auto q = s->queued()) big.emplace_back(q, s);
    std::sort(big.begin(), big.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    // Biggest first, only as many as bring the total under three quarters of
    // the cap: a member holding an ack is spared.
    std::size_t target = a.opts.outbound_cap / 4 * 3;
    std::size_t after = outbound_bytes;
    std::size_t shed_sessions = 0;
    for (auto& [q, s] : big) {
      if (after <= target) break;
      s->shed();
      after -= std::min(after, q);
      ++shed_sessions;
    }
    log(log_level::warn, "server outbound memory over its cap; busiest sessions dropped",
        {{"sessions", static_cast<std::uint64_t>(shed_sessions)},
         {"queued_bytes", static_cast<std::uint64_t>(outbound_bytes)}});
  }

  void add(closable* s) { sessions.insert(s); }
  void remove(closable* s) {
    sessions.erase(s);
    // The last session gone during shutdown: nothing left to wait for.
    if (stopping && !finished && sessions.empty()) grace.cancel();
  }
};

bool is_quiet_error(const beast::error_code& ec) {
  // Ordinary ends of a connection; not worth a warning.
  return ec == net::error::operation_aborted || ec == beast::error::timeout || ec == net::error::eof ||
         ec == net::error::connection_reset || ec == websocket::error::closed ||
         ec == http::error::end_of_stream || ec == net::error::broken_pipe ||
         ec == ssl::error::stream_truncated;
}

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }
beast::string_view bsv(std::string_view s) { return {s.data(), s.size()}; }

std::string endpoint_name(const tcp::socket& s) {
  beast::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

// ---------------------------------------------------------------------------

template <class Stream>
class websocket_session : public std::enable_shared_from_this<websocket_session<Stream>>,
                          public subscriber,
                          public closable {
  struct out_frame {
    std::shared_ptr<const bytes> data;
    bool live = false;
    std::uint64_t prev = 0, last = 0;  // live: the changes (prev, last]
  };

 public:
  websocket_session(Stream&& stream, std::shared_ptr<shared_state> state, std::string peer)
      : ws_(std::move(stream)),
        state_(std::move(state)),
        handler_(state_->svc, state_->a.stats, state_->a.default_space, std::move(peer)),
        timer_(ws_.get_executor()) {
    state_->add(this);
  }

  ~websocket_session() {
    if (hub_) hub_->leave(this);
    auto& st = state_->a.stats;
    while (!queue_.empty()) pop_front();
    if (accepted_) {
      st.connections.fetch_sub(1, std::memory_order_relaxed);
      log(log_level::debug, "websocket closed", {{"peer", handler_.peer()}});
    }
    state_->remove(this);
  }

  template <class Body, class Allocator>
  void run(http::request<Body, http::basic_fields<Allocator>> req) {
    websocket::stream_base::timeout t{};
    t.handshake_timeout = tuning::ws_handshake_timeout;
    t.idle_timeout = tuning::ws_idle_timeout;
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, server_name); }));
    // We read in pieces and refuse a message over the session's frame limit
    // ourselves, with error{too_large} before the close (on_read_some), also
    // when its header alone declares more: Beast's own limit would close
    // with 1009 and no error frame, so it is set out of the way (0: none).
    ws_.read_message_max(0);
    ws_.binary(true);
    // One frame per message: frames are at most 1 MiB and a fragment header
    // every 4 KiB buys nothing. No permessage-deflate: sealed envelopes do not
    // compress, and its per-connection state would cost ~100 KiB a session.
    ws_.auto_fragment(false);
    ws_.async_accept(req, beast::bind_front_handler(&websocket_session::on_accept, this->shared_from_this()));
  }

  void on_live(const live_event& e) override {
    if (closing_ || close_pending_ || !handler_.authenticated()) return;
    if (handler_.version() < 2 || !live_) {
      // Not caught up (or a v1 client): tell it to pull. Coalesced: a burst
      // of pushes costs one notify here, not one per push. Its own push it
      // knows about from the ack.
      if (e.from != static_cast<const void*>(this)) note_pending(e.last);
      return;
    }
    if (e.last <= live_from_) return;  // its pull already brought these
    if (e.prev > live_from_) {
      // A gap (it missed a publish while pulling): back to pull.
      live_ = false;
      note_pending(e.last);
      return;
    }
    if (live_frames_ + 1 > tuning::outbound_max_frames || live_bytes_ + e.frame->size() > tuning::outbound_max_bytes)
      return resync();
    live_from_ = e.last;
    auto& st = state_->a.stats;
    st.live_frames_out.fetch_add(1, std::memory_order_relaxed);
    enqueue(out_frame{e.frame, true, e.prev, e.last});
  }

  void on_keyring_changed() override {
    if (closing_) return;
    reply r = handler_.recheck_membership();
    if (!r.close) return;
    // Refused at once, not on its next request: error{revoked}, then the close
    // (after a request being stored, as begin_close does).
    for (auto& f : r.frames) enqueue(out_frame{std::make_shared<const bytes>(std::move(f)), false});
    begin_close(websocket::close_code::policy_error);
  }

  void shutdown() override { begin_close(websocket::close_code::going_away); }
  std::size_t queued() const override { return queued_bytes_; }
  void shed() override {
    state_->a.stats.sessions_shed.fetch_add(1, std::memory_order_relaxed);
    log(log_level::warn, "server over its outbound cap; session dropped",
        {{"peer", handler_.peer()}, {"bytes", static_cast<std::uint64_t>(queued_bytes_)}});
    drop_queue();
    live_ = false;
    pending_notify_.reset();
    closing_ = close_started_ = true;  // nothing more is queued or written
    timer_.cancel();
    cut();  // ends the write in flight, whose frame is then freed
  }

 private:
  void note_pending(std::uint64_t cursor) {
    pending_notify_ = std::max(pending_notify_.value_or(0), cursor);
    state_->a.stats.notifies_out.fetch_add(1, std::memory_order_relaxed);
    if (!writing_) do_write();
  }

  void on_accept(beast::error_code ec) {
    if (ec) {
      log(log_level::debug, "websocket handshake failed", {{"peer", handler_.peer()}, {"error", ec.message()}});
      return;
    }
    accepted_ = true;
    state_->a.stats.connections.fetch_add(1, std::memory_order_relaxed);
    state_->a.stats.connections_total.fetch_add(1, std::memory_order_relaxed);
    log(log_level::debug, "websocket open", {{"peer", handler_.peer()}});
    if (state_->stopping) begin_close(websocket::close_code::going_away);
    if (closing_) return do_write();  // asked to close during the handshake

    timer_.expires_after(tuning::auth_timeout);
    timer_.async_wait(beast::bind_front_handler(&websocket_session::on_auth_timeout, this->shared_from_this()));
    do_read();
  }

  void on_auth_timeout(beast::error_code ec) {
    if (ec || handler_.authenticated() || closing_) return;
    log(log_level::info, "auth timeout", {{"peer", handler_.peer()}});
    begin_close(websocket::close_code::policy_error);
  }

  void do_read() {
    if (reading_ || busy_ || closing_) return;
    // Backpressure: while answers pile up unread, stop taking new requests;
    // and while the server as a whole is over its cap, a session still
    // holding bytes waits until they are written.
    if (queue_.size() - live_frames_ >= tuning::outbound_pause_frames) return;
    if (queued_bytes_ > 0 && state_->outbound_bytes > state_->a.opts.outbound_cap) return;
    reading_ = true;
    read_some();
  }

  void read_some() {
    // One byte past the limit is enough to know a message is too big.
    std::size_t limit = handler_.frame_limit();
    std::size_t room = limit + 1 - std::min(buffer_.size(), limit);
    ws_.async_read_some(buffer_, room,
                        beast::bind_front_handler(&websocket_session::on_read_some, this->shared_from_this()));
  }

  void on_read_some(beast::error_code ec, std::size_t n) {
    if (!ec && buffer_.size() > handler_.frame_limit()) {
      // Told, then closed; the rest of the message is never buffered.
      reading_ = false;
      buffer_.consume(buffer_.size());
      busy_ = true;
      return on_reply(handler_.on_oversized_frame());
    }
    if (!ec && !ws_.is_message_done()) return read_some();
    on_read(ec, n);
  }

  void on_read(beast::error_code ec, std::size_t) {
    reading_ = false;
    if (ec) {
      if (!is_quiet_error(ec))
        log(log_level::info, "websocket read failed", {{"peer", handler_.peer()}, {"error", ec.message()}});
      return;
    }
    if (closing_) return;

    busy_ = true;
    if (!ws_.got_binary()) {
      buffer_.consume(buffer_.size());
      return on_reply(handler_.on_text_frame());
    }
    // The handler copies what it keeps; the buffer is free for the next read.
    auto data = buffer_.cdata();
    bytes frame(static_cast<const std::uint8_t*>(data.data()),
                static_cast<const std::uint8_t*>(data.data()) + data.size());
    buffer_.consume(buffer_.size());
    // A big frame must not pin its buffer for the life of an idle session.
    if (buffer_.capacity() > 64 * 1024) buffer_.shrink_to_fit();
    handler_.on_frame(frame.data(), frame.size(),
                      [self = this->shared_from_this()](reply r) { self->on_reply(std::move(r)); });
  }

  void on_reply(reply r) {
    busy_ = false;
    for (auto& f : r.frames) enqueue(out_frame{std::make_shared<const bytes>(std::move(f)), false});
    if (r.joined) {
      timer_.cancel();
      hub_ = state_->hubs.get(handler_.space());
      hub_->join(this);
    }
    if (r.caught_up && handler_.version() >= 2 && !closing_) {
      live_ = true;
      live_from_ = std::max(live_from_, *r.caught_up);
    }
    // Sessions of devices this push removed go first: they get nothing more.
    if (r.keyring_changed && hub_) hub_->keyring_changed();
    // After the ack is queued: the data is durable, so others may have it.
    // Published even if this session is closing: the others must not miss it.
    if (r.published > 0 && r.live && hub_) hub_->publish(live_event{r.live_prev, r.published, r.live, this});
    if (r.close) {
      close_pending_.reset();
      begin_close(websocket::close_code::policy_error);
    } else if (close_pending_) {
      auto code = *close_pending_;
      close_pending_.reset();
      begin_close(code);
    }
    do_read();
  }

  void enqueue(out_frame f) {
    if (close_started_) return;
    account(f, +1);
    queue_.push_back(std::move(f));
    if (!writing_) do_write();
  }

  // The queue's bytes and frames, in this session, the server's total and
  // the metrics: +1 when a frame is queued, -1 when it leaves.
  void account(const out_frame& f, int dir) {
    auto& st = state_->a.stats;
    std::size_t n = f.data->size();
    auto sn = static_cast<std::int64_t>(n) * dir;
    st.outbound_bytes.fetch_add(sn, std::memory_order_relaxed);
    st.outbound_frames.fetch_add(dir, std::memory_order_relaxed);
    if (dir > 0) {
      queued_bytes_ += n;
      if (f.live) ++live_frames_, live_bytes_ += n;
      state_->queued_more(n);
    } else {
      queued_bytes_ -= n;
      if (f.live) --live_frames_, live_bytes_ -= n;
      state_->outbound_bytes -= n;
    }
  }

  void pop_front() {
    account(queue_.front(), -1);
    queue_.pop_front();
  }

  // The client reads slower than its space changes: drop what is queued, tell
  // it to resync (reconnect and pull) and close. Memory stays bounded.
  void resync() {
    if (closing_) return;
    auto& st = state_->a.stats;
    st.slow_consumers_closed.fetch_add(1, std::memory_order_relaxed);
    st.count_error(proto::error_resync);
    log(log_level::warn, "outbound queue full; resync and close",
        {{"peer", handler_.peer()}, {"frames", static_cast<std::uint64_t>(queue_.size())},
         {"bytes", static_cast<std::uint64_t>(queued_bytes_)}});
    drop_queue();
    live_ = false;
    pending_notify_.reset();
    enqueue(out_frame{std::make_shared<const bytes>(codec::encode(proto::error{
                          proto::error_resync, "too far behind: reconnect and pull from your cursor"})),
                      false});
    close_pending_.reset();
    force_close(websocket::close_code::try_again_later);
    // A reader that is truly stuck never completes the close: cut it.
    timer_.expires_after(tuning::resync_close_grace);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) self->cut();
    });
  }

  // Drops every queued frame but the one being written: Beast owns its
  // buffer until the write ends.
  void drop_queue() {
    while (queue_.size() > (writing_ ? 1u : 0u)) {
      auto f = std::move(queue_.back());
      queue_.pop_back();
      queue_.push_front(std::move(f));
      pop_front();
    }
  }

  void cut() {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

  void do_write() {
    if (writing_ || close_started_) return;
    if (queue_.empty() && pending_notify_ && !closing_) {
      std::uint64_t c = *pending_notify_;
      pending_notify_.reset();
      if (!(live_ && c <= live_from_))
        enqueue(out_frame{std::make_shared<const bytes>(codec::encode(proto::notify{c})), false});
      if (writing_) return;  // enqueue started the write
    }
    if (queue_.empty()) {
      if (closing_) do_close();
      return;
    }
    coalesce_live();
    writing_ = true;
    ws_.async_write(net::buffer(*queue_.front().data),
                    beast::bind_front_handler(&websocket_session::on_write, this->shared_from_this()));
  }

  // Live frames that piled up behind a write (a slow reader, a burst) go out
  // as one frame: one write instead of many. Only strictly contiguous ones,
  // within the decoder's item limit and a bounded size.
  void coalesce_live() {
    if (queue_.size() < 2 || !queue_[0].live || !queue_[1].live || queue_[1].prev != queue_[0].last) return;
    std::vector<const bytes*> parts;
    std::size_t bytes_total = 0, items = 0, n = 0;
    std::uint64_t last = queue_[0].prev;
    for (const auto& f : queue_) {
      if (!f.live || f.prev != last) break;
      auto head = codec::read_live_head(*f.data);
      if (!head || items + head->count > limits::max_pull_changes ||
          bytes_total + f.data->size() > tuning::live_coalesce_max_bytes)
        break;
      parts.push_back(f.data.get());
      bytes_total += f.data->size();
      items += head->count;
      last = f.last;
      ++n;
    }
    if (n < 2) return;
    auto merged = std::make_shared<const bytes>(codec::merge_live(parts));
    std::uint64_t prev = queue_[0].prev;
    for (std::size_t i = 0; i < n; ++i) pop_front();
    auto& st = state_->a.stats;
    st.live_coalesced.fetch_add(n - 1, std::memory_order_relaxed);
    // Re-queued at the front with the same accounting as enqueue().
    out_frame f{std::move(merged), true, prev, last};
    account(f, +1);
    queue_.push_front(std::move(f));
  }

  void on_write(beast::error_code ec, std::size_t n) {
    writing_ = false;
    if (ec) {
      if (!is_quiet_error(ec))
        log(log_level::info, "websocket write failed", {{"peer", handler_.peer()}, {"error", ec.message()}});
      cut();  // ends the pending read too
      return;
    }
    auto& st = state_->a.stats;
    st.frames_out.fetch_add(1, std::memory_order_relaxed);
    st.bytes_out.fetch_add(n, std::memory_order_relaxed);
    if (queue_.front().live) {
      // Counted when written, not when queued: a dropped frame delivered nothing.
      st.live_changes_out.fetch_add(queue_.front().last - queue_.front().prev, std::memory_order_relaxed);
    }
    pop_front();
    do_read();  // resumes a read paused for backpressure (no-op otherwise)
    do_write();
  }

  // Sends what is queued (e.g. the error frame), then the close frame. A
  // request being stored is finished first, so its ack is not lost.
  void begin_close(websocket::close_code code) {
    if (closing_) return;
    if (busy_) {
      close_pending_ = code;
      return;
    }
    force_close(code);
  }

  void force_close(websocket::close_code code) {
    if (closing_) return;
    closing_ = true;
    close_code_ = code;
    pending_notify_.reset();
    timer_.cancel();
    if (!accepted_) return;  // handshake still running: its failure ends us
    if (!writing_) do_write();
  }

  void do_close() {
    if (close_started_) return;
    close_started_ = true;
    ws_.async_close(websocket::close_reason(close_code_),
                    beast::bind_front_handler(&websocket_session::on_close, this->shared_from_this()));
    // A peer that never answers the close (or is still sending the rest of
    // an oversized frame, which the close handshake would have to read
    // through) is cut at the TCP level.
    timer_.expires_after(tuning::resync_close_grace);
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) self->cut();
    });
  }

  void on_close(beast::error_code ec) {
    timer_.cancel();
    if (ec && !is_quiet_error(ec))
      log(log_level::debug, "websocket close failed", {{"peer", handler_.peer()}, {"error", ec.message()}});
  }

  websocket::stream<Stream> ws_;
  beast::flat_buffer buffer_;
  std::shared_ptr<shared_state> state_;
  sync_handler handler_;
  std::shared_ptr<hub> hub_;
  net::steady_timer timer_;  // auth timeout, then the resync grace
  std::deque<out_frame> queue_;  // front() is the frame being written while writing_
  std::size_t queued_bytes_ = 0;
  std::size_t live_frames_ = 0;
  std::size_t live_bytes_ = 0;
  std::optional<std::uint64_t> pending_notify_;
  std::optional<websocket::close_code> close_pending_;
  bool live_ = false;             // v2: caught up, gets live frames
  std::uint64_t live_from_ = 0;   // the client has (or will have) every change up to here
  bool accepted_ = false;
  bool reading_ = false;
  bool busy_ = false;             // a request is with the handler
  bool writing_ = false;
  bool closing_ = false;
  bool close_started_ = false;
  websocket::close_code close_code_ = websocket::close_code::normal;
};

// ---------------------------------------------------------------------------

// TLS needs its handshake before HTTP; plain TCP starts reading at once.
template <class Self>
void start_stream(plain_stream&, Self self) {
  self->do_read();
}
template <class Self>
void start_stream(tls_stream& s, Self self) {
  beast::get_lowest_layer(s).expires_after(tuning::http_timeout);
  s.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
    if (ec) {
      log(log_level::debug, "tls handshake failed", {{"peer", self->peer()}, {"error", ec.message()}});
      return;
    }
    self->do_read();
  });
}

template <class Stream>
class http_session : public std::enable_shared_from_this<http_session<Stream>>, public closable {
 public:
  http_session(Stream&& stream, std::shared_ptr<shared_state> state)
      : stream_(std::move(stream)), state_(std::move(state)) {
    peer_ = endpoint_name(beast::get_lowest_layer(stream_).socket()) + "#" + std::to_string(state_->next_id++);
    state_->add(this);
  }
  ~http_session() { state_->remove(this); }

  void run() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { start_stream(self->stream_, self); });
  }

  void shutdown() override {
    // Keep-alive connections idle in a read; cutting them is the whole point.
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream_).close();
  }

  const std::string& peer() const { return peer_; }

  void do_read() {
    if (state_->stopping) return;
    parser_.emplace();
    parser_->body_limit(tuning::http_body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(tuning::http_header_limit));
    beast::get_lowest_layer(stream_).expires_after(tuning::http_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&http_session::on_read, this->shared_from_this()));
  }

 private:
  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return do_close();
    if (ec) {
      if (!is_quiet_error(ec)) log(log_level::debug, "http read failed", {{"peer", peer_}, {"error", ec.message()}});
      return;
    }
    state_->a.stats.http_requests.fetch_add(1, std::memory_order_relaxed);
    auto& req = parser_->get();
    std::string path = decode_target_path(sv(req.target()));

    if (websocket::is_upgrade(req)) {
      if (path != "/sync") return send(text_response(req, http::status::not_found, "no websocket here\n"));
      // The websocket session owns the stream from here on; this session ends.
      beast::get_lowest_layer(stream_).expires_never();
      std::make_shared<websocket_session<Stream>>(std::move(stream_), state_, peer_)->run(parser_->release());
      return;
    }
    handle(parser_->release());
  }

  template <class Req>
  http::response<http::string_body> text_response(const Req& req, http::status status, std::string body,
                                                   const char* type = "text/plain; charset=utf-8") {
    http::response<http::string_body> res{status, req.version()};
    res.set(http::field::server, server_name);
    for (const auto& h : security_headers()) res.set(bsv(h.name), bsv(h.value));
    res.set(http::field::content_type, type);
    res.set(http::field::cache_control, "no-cache");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    if (req.method() == http::verb::head) res.body().clear();  // keep Content-Length, drop the body
    return res;
  }

  void handle(http::request<http::string_body> req) {
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      auto res = text_response(req, http::status::method_not_allowed, "method not allowed\n");
      res.set(http::field::allow, "GET, HEAD");
      return send(std::move(res));
    }
    std::string path = decode_target_path(sv(req.target()));
    // A target that could name nothing of ours is simply not found.
    if (path.empty()) return send(text_response(req, http::status::not_found, "not found\n"));
    // Alive: the process answers. Ready: its store is usable for every space.
    if (path == "/healthz") return send(text_response(req, http::status::ok, "ok"));
    if (path == "/readyz") {
      const auto& down = state_->a.stats.unavailable_spaces;
      if (down.empty()) return send(text_response(req, http::status::ok, "ready"));
      // Which spaces is for the operator's log, not for any client.
      return send(text_response(req, http::status::service_unavailable,
                                "unavailable: stored data of " + std::to_string(down.size()) +
                                    " space(s) is damaged; see the server log\n"));
    }
    if (path == "/metrics")
      return send(text_response(req, http::status::ok, state_->a.stats.render(),
                                "text/plain; version=0.0.4; charset=utf-8"));
    if (path == "/sync") {
      auto res = text_response(req, http::status::upgrade_required, "websocket only\n");
      res.set(http::field::upgrade, "websocket");
      return send(std::move(res));
    }

    auto file = resolve_static(state_->a.webapp_dir, sv(req.target()), sv(req[http::field::accept_encoding]));
    if (!file) return send(text_response(req, http::status::not_found, "not found\n"));
    auto set_headers = [&](auto& res) {
      res.set(http::field::server, server_name);
      for (const auto& h : security_headers()) res.set(bsv(h.name), bsv(h.value));
      res.set(http::field::content_type, file->content_type);
      res.set(http::field::cache_control, file->cache_control);
      res.set(http::field::etag, file->etag);
      res.set(http::field::vary, "Accept-Encoding");
      if (!file->encoding.empty()) res.set(http::field::content_encoding, file->encoding);
      res.keep_alive(req.keep_alive());
    };
    // Unchanged since the browser's copy: 304, no body.
    if (auto inm = req.find(http::field::if_none_match); inm != req.end() && etag_matches(sv(inm->value()), file->etag)) {
      http::response<http::empty_body> res{http::status::not_modified, req.version()};
      set_headers(res);
      return send(std::move(res));
    }
    beast::error_code ec;
    http::file_body::value_type body;
    body.open(file->path.c_str(), beast::file_mode::scan, ec);
    if (ec) return send(text_response(req, http::status::not_found, "not found\n"));
    auto size = body.size();

    if (req.method() == http::verb::head) {
      http::response<http::empty_body> res{http::status::ok, req.version()};
      set_headers(res);
      res.content_length(size);
      return send(std::move(res));
    }
    http::response<http::file_body> res{std::piecewise_construct, std::make_tuple(std::move(body)),
                                        std::make_tuple(http::status::ok, req.version())};
    set_headers(res);
    res.content_length(size);
    send(std::move(res));
  }

  template <class Body>
  void send(http::response<Body>&& msg) {
    // The response must outlive the write; the shared_ptr rides in the handler.
    auto sp = std::make_shared<http::response<Body>>(std::move(msg));
    bool close = sp->need_eof();
    http::async_write(stream_, *sp,
                      [self = this->shared_from_this(), sp, close](beast::error_code ec, std::size_t n) {
                        self->on_write(close, ec, n);
                      });
  }

  void on_write(bool close, beast::error_code ec, std::size_t) {
    if (ec) {
      if (!is_quiet_error(ec)) log(log_level::debug, "http write failed", {{"peer", peer_}, {"error", ec.message()}});
      return;
    }
    if (close) return do_close();
    do_read();
  }

  void do_close() {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<shared_state> state_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string peer_;
};

// ---------------------------------------------------------------------------

class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(net::io_context& ioc, std::shared_ptr<shared_state> state)
      : ioc_(ioc), acceptor_(ioc), retry_(ioc), state_(std::move(state)) {}

  beast::error_code open(const tcp::endpoint& ep) {
    beast::error_code ec;
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(tuning::listen_backlog, ec);
    return ec;
  }

  std::uint16_t port() const {
    beast::error_code ec;
    return acceptor_.local_endpoint(ec).port();
  }

  void run() { do_accept(); }

  void stop() {
    beast::error_code ec;
    acceptor_.close(ec);
    retry_.cancel();
  }

 private:
  void do_accept() {
    acceptor_.async_accept(ioc_, beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }

  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // E.g. out of file descriptors: back off briefly instead of spinning.
      log(log_level::warn, "accept failed", {{"error", ec.message()}});
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([self = shared_from_this()](beast::error_code e) {
        if (!e) self->do_accept();
      });
      return;
    }
    // Frames are written whole; Nagle would only delay small live frames.
    beast::error_code nd;
    socket.set_option(tcp::no_delay(true), nd);
    if (state_->tls) {
      std::make_shared<http_session<tls_stream>>(tls_stream(std::move(socket), *state_->tls), state_)->run();
    } else {
      std::make_shared<http_session<plain_stream>>(plain_stream(std::move(socket)), state_)->run();
    }
    do_accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  std::shared_ptr<shared_state> state_;
};

}  // namespace

int serve(app& a) {
  net::io_context ioc{1};  // one networking thread: see the note at the top of this file
  engine eng(*a.db, a.stats, [&ioc](std::function<void()> fn) { net::post(ioc, std::move(fn)); },
             tuning::verify_threads);
  auto state = std::make_shared<shared_state>(ioc, a, eng);

  if (!a.opts.tls_cert.empty()) {
    state->tls.emplace(ssl::context::tls_server);
    auto& ctx = *state->tls;
    beast::error_code ec;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    ctx.use_certificate_chain_file(a.opts.tls_cert, ec);
    if (!ec) ctx.use_private_key_file(a.opts.tls_key, ssl::context::pem, ec);
    if (ec) {
      log(log_level::error, "cannot load TLS certificate or key",
          {{"cert", a.opts.tls_cert}, {"key", a.opts.tls_key}, {"error", ec.message()}});
      return 1;
    }
  }

  beast::error_code ec;
  auto address = net::ip::make_address(a.opts.host, ec);
  if (ec) {
    log(log_level::error, "bad --host", {{"host", a.opts.host}, {"error", ec.message()}});
    return 1;
  }
  auto lst = std::make_shared<listener>(ioc, state);
  if (auto err = lst->open(tcp::endpoint{address, a.opts.port})) {
    log(log_level::error, "cannot listen",
        {{"host", a.opts.host}, {"port", static_cast<unsigned>(a.opts.port)}, {"error", err.message()}});
    return 1;
  }
  lst->run();

  net::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code e, int sig) {
    if (e) return;
    log(log_level::info, "shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                                            {"sessions", static_cast<std::uint64_t>(state->sessions.size())}});
    state->stopping = true;
    lst->stop();
    // Copy: shutdown() may not erase synchronously today, but must not be able to break iteration.
    std::vector<closable*> all(state->sessions.begin(), state->sessions.end());
    for (auto* s : all) s->shutdown();
    if (state->sessions.empty()) return;
    state->grace.expires_after(tuning::shutdown_grace);
    state->grace.async_wait([&](beast::error_code te) {
      if (te) return;  // cancelled: every session closed in time
      log(log_level::warn, "shutdown grace expired; dropping sessions",
          {{"sessions", static_cast<std::uint64_t>(state->sessions.size())}});
      ioc.stop();
    });
  });

  log(log_level::info, "listening",
      {{"host", a.opts.host}, {"port", static_cast<unsigned>(lst->port())},
       {"space", to_hex(a.default_space)}, {"webapp", a.webapp_dir}, {"demo", a.opts.demo},
       {"tls", state->tls.has_value()}});
  for (;;) {
    // A handler that throws (bad_alloc, a bug) must not take every other
    // session down with it: log, and keep serving. Normal completion breaks.
    try {
      ioc.run();
      break;
    } catch (const std::exception& e) {
      log(log_level::error, "handler threw; continuing", {{"error", e.what()}});
    } catch (...) {
      log(log_level::error, "handler threw; continuing", {{"error", "unknown"}});
    }
  }
  // Sessions still owned by pending handlers die with ioc below; they must
  // not touch the grace timer then.
  state->finished = true;
  // Whatever was queued is committed before we exit (a SIGTERM during a push
  // storm loses nothing the store accepted); its acks cannot be sent anymore.
  eng.stop();
  log(log_level::info, "stopped");
  return 0;
}

}  // namespace packline::server
