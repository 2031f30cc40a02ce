// The networking of the sync server, in Beast's "advanced server"/chat-multi
// shape: listener -> http_session (static webapp, /healthz, /metrics, upgrade
// on /sync) -> websocket_session (one sync_handler, one outbound queue, one
// write in flight). ONE io_context thread runs everything, so sessions, hubs
// and the store need no locks; the store's fsync blocks that thread while a
// push commits (fine for a panel's tens of devices; a bigger deployment would
// move the store to its own thread and post results back).
#include "server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <boost/beast/websocket.hpp>
#include <csignal>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

#include "hub.hpp"
#include "packline/codec.hpp"
#include "packline/limits.hpp"
#include "static_files.hpp"
#include "sync_handler.hpp"
#include "tuning.hpp"

namespace packline::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr const char* server_name = "packline-server";

// Anything the shutdown must be able to stop: http and websocket sessions.
class closable {
 public:
  virtual void shutdown() = 0;

 protected:
  ~closable() = default;
};

// State shared by every session; lives for the whole serve() call. Touched
// from the io_context thread only.
struct shared_state {
  explicit shared_state(net::io_context& ioc, app& a) : ioc(ioc), a(a), grace(ioc) {}
  net::io_context& ioc;
  app& a;
  hub_registry hubs;
  std::unordered_set<closable*> sessions;  // raw: each session erases itself in its destructor
  bool stopping = false;
  bool finished = false;  // ioc.run() returned: the timer below is being torn down
  std::uint64_t next_id = 1;
  net::steady_timer grace;

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
         ec == http::error::end_of_stream || ec == net::error::broken_pipe;
}

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

std::string endpoint_name(const tcp::socket& s) {
  beast::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

// ---------------------------------------------------------------------------

class websocket_session : public std::enable_shared_from_this<websocket_session>,
                          public subscriber,
                          public closable {
 public:
  websocket_session(tcp::socket&& socket, std::shared_ptr<shared_state> state, std::string peer)
      : ws_(std::move(socket)),
        state_(std::move(state)),
        handler_(*state_->a.db, state_->a.stats, state_->a.default_space, std::move(peer)),
        auth_timer_(ws_.get_executor()) {
    state_->add(this);
  }

  ~websocket_session() {
    if (hub_) hub_->leave(this);
    if (accepted_) {
      state_->a.stats.connections.fetch_sub(1, std::memory_order_relaxed);
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
    // Beast refuses bigger messages itself (closing with 1009 "too big").
    ws_.read_message_max(limits::max_frame_bytes);
    ws_.binary(true);
    // One frame per message: frames are at most 1 MiB and a fragment header
    // every 4 KiB buys nothing. No permessage-deflate: sealed envelopes do not compress.
    ws_.auto_fragment(false);
    ws_.async_accept(req, beast::bind_front_handler(&websocket_session::on_accept, shared_from_this()));
  }

  void on_notify(std::uint64_t cursor) override {
    if (closing_ || !handler_.authenticated()) return;
    // Coalesce: a session only needs the newest cursor, so a burst of pushes
    // from others costs one frame here, not one per push.
    pending_notify_ = std::max(pending_notify_.value_or(0), cursor);
    state_->a.stats.notifies_out.fetch_add(1, std::memory_order_relaxed);
    if (!writing_) do_write();
  }

  void shutdown() override { begin_close(websocket::close_code::going_away); }

 private:
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

    auth_timer_.expires_after(tuning::auth_timeout);
    auth_timer_.async_wait(beast::bind_front_handler(&websocket_session::on_auth_timeout, shared_from_this()));
    do_read();
  }

  void on_auth_timeout(beast::error_code ec) {
    if (ec || handler_.authenticated() || closing_) return;
    log(log_level::info, "auth timeout", {{"peer", handler_.peer()}});
    begin_close(websocket::close_code::policy_error);
  }

  void do_read() {
    if (reading_ || closing_) return;
    // Backpressure: while answers pile up unread, stop taking new requests.
    if (queue_.size() >= tuning::outbound_pause_frames) return;
    reading_ = true;
    ws_.async_read(buffer_, beast::bind_front_handler(&websocket_session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    reading_ = false;
    if (ec == websocket::error::message_too_big) {
      // Beast has already failed the connection with close code 1009; an
      // error frame can no longer be sent, but count and log it like one.
      state_->a.stats.count_error(static_cast<std::uint32_t>(errc::too_large));
      log(log_level::warn, "protocol error", {{"peer", handler_.peer()}, {"code", 2}, {"text", "frame over max_frame_bytes"}});
      return;
    }
    if (ec) {
      if (!is_quiet_error(ec))
        log(log_level::info, "websocket read failed", {{"peer", handler_.peer()}, {"error", ec.message()}});
      return;
    }
    if (closing_) return;

    reply r;
    if (!ws_.got_binary()) {
      r = handler_.on_text_frame();
    } else {
      auto data = buffer_.cdata();
      r = handler_.on_frame(static_cast<const std::uint8_t*>(data.data()), data.size());
    }
    buffer_.consume(buffer_.size());
    apply(std::move(r));
    do_read();
  }

  void apply(reply r) {
    for (auto& f : r.frames) enqueue(std::move(f));
    if (r.joined) {
      auth_timer_.cancel();
      hub_ = state_->hubs.get(handler_.space());
      hub_->join(this);
    }
    // After the ack is queued: the data is durable, so others may pull it.
    if (r.published > 0 && hub_) hub_->publish(r.published, this);
    if (r.close) begin_close(websocket::close_code::policy_error);
  }

  void enqueue(bytes frame) {
    if (queue_.size() >= tuning::outbound_max_frames) {
      // Cannot happen with the read pause above unless notify storms or a bug
      // grow the queue; cut the TCP connection rather than our memory.
      state_->a.stats.slow_consumers_closed.fetch_add(1, std::memory_order_relaxed);
      log(log_level::warn, "outbound queue full; closing", {{"peer", handler_.peer()}});
      closing_ = true;
      beast::error_code ec;
      beast::get_lowest_layer(ws_).socket().close(ec);
      return;
    }
    queue_.push_back(std::move(frame));
    if (!writing_) do_write();
  }

  void do_write() {
    if (writing_) return;
    if (queue_.empty() && pending_notify_ && !closing_) {
      queue_.push_back(codec::encode(proto::notify{*pending_notify_}));
      pending_notify_.reset();
    }
    if (queue_.empty()) {
      if (closing_) do_close();
      return;
    }
    writing_ = true;
    ws_.async_write(net::buffer(queue_.front()),
                    beast::bind_front_handler(&websocket_session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (ec) {
      if (!is_quiet_error(ec))
        log(log_level::info, "websocket write failed", {{"peer", handler_.peer()}, {"error", ec.message()}});
      return;
    }
    queue_.pop_front();
    state_->a.stats.frames_out.fetch_add(1, std::memory_order_relaxed);
    do_read();  // resumes a read paused for backpressure (no-op otherwise)
    do_write();
  }

  // Sends what is queued (e.g. the error frame), then the close frame.
  void begin_close(websocket::close_code code) {
    if (closing_) return;
    closing_ = true;
    close_code_ = code;
    pending_notify_.reset();
    auth_timer_.cancel();
    if (!accepted_) return;  // handshake still running: its failure ends us
    if (!writing_) do_write();
  }

  void do_close() {
    if (close_started_) return;
    close_started_ = true;
    ws_.async_close(websocket::close_reason(close_code_),
                    beast::bind_front_handler(&websocket_session::on_close, shared_from_this()));
  }

  void on_close(beast::error_code ec) {
    if (ec && !is_quiet_error(ec))
      log(log_level::debug, "websocket close failed", {{"peer", handler_.peer()}, {"error", ec.message()}});
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::shared_ptr<shared_state> state_;
  sync_handler handler_;
  std::shared_ptr<hub> hub_;
  net::steady_timer auth_timer_;
  std::deque<bytes> queue_;  // front() is the frame being written while writing_
  std::optional<std::uint64_t> pending_notify_;
  bool accepted_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool close_started_ = false;
  websocket::close_code close_code_ = websocket::close_code::normal;
};

// ---------------------------------------------------------------------------

class http_session : public std::enable_shared_from_this<http_session>, public closable {
 public:
  http_session(tcp::socket&& socket, std::shared_ptr<shared_state> state)
      : stream_(std::move(socket)), state_(std::move(state)) {
    peer_ = endpoint_name(stream_.socket()) + "#" + std::to_string(state_->next_id++);
    state_->add(this);
  }
  ~http_session() { state_->remove(this); }

  void run() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&http_session::do_read, shared_from_this()));
  }

  void shutdown() override {
    // Keep-alive connections idle in a read; cutting them is the whole point.
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  void do_read() {
    if (state_->stopping) return;
    parser_.emplace();
    parser_->body_limit(tuning::http_body_limit);
    parser_->header_limit(static_cast<std::uint32_t>(tuning::http_header_limit));
    stream_.expires_after(tuning::http_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&http_session::on_read, shared_from_this()));
  }

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
      // The websocket session owns the socket from here on; this session ends.
      stream_.expires_never();
      std::make_shared<websocket_session>(stream_.release_socket(), state_, peer_)->run(parser_->release());
      return;
    }
    handle(parser_->release());
  }

  template <class Req>
  http::response<http::string_body> text_response(const Req& req, http::status status, std::string body,
                                                   const char* type = "text/plain; charset=utf-8") {
    http::response<http::string_body> res{status, req.version()};
    res.set(http::field::server, server_name);
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
    if (path.empty()) return send(text_response(req, http::status::bad_request, "bad path\n"));
    if (path == "/healthz") return send(text_response(req, http::status::ok, "ok"));
    if (path == "/metrics")
      return send(text_response(req, http::status::ok, state_->a.stats.render(),
                                "text/plain; version=0.0.4; charset=utf-8"));
    if (path == "/sync") {
      auto res = text_response(req, http::status::upgrade_required, "websocket only\n");
      res.set(http::field::upgrade, "websocket");
      return send(std::move(res));
    }

    auto file = resolve_static(state_->a.webapp_dir, sv(req.target()));
    if (!file) return send(text_response(req, http::status::not_found, "not found\n"));
    beast::error_code ec;
    http::file_body::value_type body;
    body.open(file->path.c_str(), beast::file_mode::scan, ec);
    if (ec) return send(text_response(req, http::status::not_found, "not found\n"));
    auto size = body.size();

    auto set_headers = [&](auto& res) {
      res.set(http::field::server, server_name);
      res.set(http::field::content_type, file->content_type);
      res.set(http::field::cache_control, file->cache_control);
      res.set("X-Content-Type-Options", "nosniff");
      res.keep_alive(req.keep_alive());
    };
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
                      [self = shared_from_this(), sp, close](beast::error_code ec, std::size_t n) {
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
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
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
    std::make_shared<http_session>(std::move(socket), state_)->run();
    do_accept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  std::shared_ptr<shared_state> state_;
};

}  // namespace

int serve(app& a) {
  net::io_context ioc{1};  // one thread: see the note at the top of this file
  auto state = std::make_shared<shared_state>(ioc, a);

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
       {"space", to_hex(a.default_space)}, {"webapp", a.webapp_dir}, {"demo", a.opts.demo}});
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
  log(log_level::info, "stopped");
  return 0;
}

}  // namespace packline::server
