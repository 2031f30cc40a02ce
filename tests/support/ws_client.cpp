// Beast implementation of ws_client.hpp (the tests' only Beast TU). Async
// operations driven by run_one_for() give reads a timeout without threads.
#include "ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cctype>
#include <optional>

namespace packline::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

struct ws_client::impl {
  net::io_context ioc;
  std::optional<websocket::stream<beast::tcp_stream>> ws;
  beast::flat_buffer buffer;
  bool open = false;
  bool read_pending = false;  // async_read issued, handler not run yet
  bool read_done = false;     // handler ran; result below not consumed yet
  beast::error_code read_ec;
  bool read_binary = true;

  // Runs handlers until `done` or the deadline; false on timeout.
  template <class Pred>
  bool run_until(Pred done, clock_type::time_point deadline) {
    while (!done()) {
      auto now = clock_type::now();
      if (now >= deadline) return false;
      if (ioc.stopped()) ioc.restart();
      ioc.run_one_for(deadline - now);
    }
    return true;
  }

  void start_read() {
    read_pending = true;
    read_done = false;
    ws->async_read(buffer, [this](beast::error_code ec, std::size_t) {
      read_pending = false;
      read_done = true;
      read_ec = ec;
      read_binary = ws->got_binary();
    });
  }
};

ws_client::ws_client() : p_(std::make_unique<impl>()) {}
ws_client::~ws_client() { drop(); }

bool ws_client::connect(const std::string& host, std::uint16_t port, const std::string& target, std::string* err) {
  try {
    tcp::resolver resolver(p_->ioc);
    auto results = resolver.resolve(host, std::to_string(port));
    p_->ws.emplace(p_->ioc);
    beast::get_lowest_layer(*p_->ws).connect(results);
    p_->ws->read_message_max(64u << 20);  // the test must see whatever the server sends
    p_->ws->handshake(host + ":" + std::to_string(port), target);
    p_->ws->binary(true);
    p_->open = true;
    return true;
  } catch (const std::exception& e) {
    if (err) *err = e.what();
    p_->ws.reset();
    return false;
  }
}

bool ws_client::is_open() const { return p_->open; }

bool ws_client::send(const bytes& frame) {
  if (!p_->open) return false;
  bool done = false;
  beast::error_code ec;
  p_->ws->binary(true);
  p_->ws->async_write(net::buffer(frame), [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!p_->run_until([&] { return done; }, clock_type::now() + std::chrono::seconds(10))) return false;
  return !ec;
}

bool ws_client::send_text(const std::string& text) {
  if (!p_->open) return false;
  bool done = false;
  beast::error_code ec;
  p_->ws->text(true);
  p_->ws->async_write(net::buffer(text), [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  bool ok = p_->run_until([&] { return done; }, clock_type::now() + std::chrono::seconds(10));
  p_->ws->binary(true);
  return ok && !ec;
}

ws_event ws_client::receive(std::chrono::milliseconds timeout) {
  ws_event ev;
  if (!p_->ws) {
    ev.k = ws_event::kind::error;
    ev.message = "not connected";
    return ev;
  }
  if (!p_->read_pending && !p_->read_done) p_->start_read();
  if (!p_->run_until([&] { return p_->read_done; }, clock_type::now() + timeout)) {
    ev.k = ws_event::kind::timeout;
    return ev;
  }
  p_->read_done = false;
  if (p_->read_ec == websocket::error::closed) {
    ev.k = ws_event::kind::closed;
    ev.close_code = static_cast<int>(p_->ws->reason().code);
    ev.message = std::string(p_->ws->reason().reason.c_str());
    p_->open = false;
    return ev;
  }
  if (p_->read_ec) {
    ev.k = ws_event::kind::error;
    ev.message = p_->read_ec.message();
    // A failed websocket (e.g. the server's close after message_too_big, or
    // a reset) may still carry the peer's close reason.
    ev.close_code = static_cast<int>(p_->ws->reason().code);
    p_->open = false;
    return ev;
  }
  auto d = p_->buffer.cdata();
  const auto* b = static_cast<const std::uint8_t*>(d.data());
  ev.k = ws_event::kind::frame;
  ev.data.assign(b, b + d.size());
  ev.binary = p_->read_binary;
  p_->buffer.consume(p_->buffer.size());
  return ev;
}

void ws_client::close() {
  if (!p_->ws) return;
  if (p_->open) {
    bool done = false;
    p_->ws->async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; });
    // The close completes when the server's close frame arrives, which a
    // pending read consumes; keep reading until then.
    if (!p_->read_pending) p_->start_read();
    p_->run_until([&] { return done && !p_->read_pending; }, clock_type::now() + std::chrono::seconds(3));
    p_->open = false;
  }
  drop();
}

void ws_client::drop() {
  if (!p_->ws) return;
  beast::error_code ec;
  beast::get_lowest_layer(*p_->ws).socket().close(ec);
  // Let cancelled handlers run so nothing refers to the stream afterwards.
  p_->run_until([&] { return !p_->read_pending; }, clock_type::now() + std::chrono::seconds(2));
  p_->ioc.poll();
  p_->ws.reset();
  p_->open = false;
  p_->read_pending = p_->read_done = false;
  p_->buffer.consume(p_->buffer.size());
}

http_response http_get(const std::string& host, std::uint16_t port, const std::string& target,
                       const std::string& method) {
  http_response out;
  try {
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.connect(resolver.resolve(host, std::to_string(port)));
    http::request<http::empty_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host);
    req.set(http::field::connection, "close");
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    if (method == "HEAD") parser.skip(true);
    http::read(stream, buf, parser);
    auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(f.value());
    }
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  } catch (const std::exception& e) {
    out.status = 0;
    out.body = e.what();
  }
  return out;
}

}  // namespace packline::test
