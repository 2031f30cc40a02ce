// Beast implementation of ws_client.hpp: plain and TLS streams behind one
// client. Async operations driven by run_one_for() give reads a timeout
// without threads.
#include "ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <cctype>
#include <charconv>
#include <optional>

namespace packline::net {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

result<endpoint> parse_url(std::string_view url) {
  endpoint ep;
  std::string_view u = url;
  auto scheme = u.find("://");
  if (scheme == std::string_view::npos) return make_error(errc::invalid_argument, "not a server address (ws://HOST:PORT or wss://HOST): " + std::string(url));
  std::string_view s = u.substr(0, scheme);
  if (s == "wss" || s == "https") ep.tls = true;
  else if (s != "ws" && s != "http")
    return make_error(errc::invalid_argument, "a server address starts with ws://, wss://, http:// or https://, not " + std::string(s) + "://");
  u.remove_prefix(scheme + 3);
  auto slash = u.find('/');
  std::string_view hp = u.substr(0, slash);
  ep.target = slash == std::string_view::npos ? "/sync" : std::string(u.substr(slash));
  if (ep.target == "/") ep.target = "/sync";
  std::string_view port;
  if (!hp.empty() && hp.front() == '[') {  // [IPv6]:port
    auto close = hp.find(']');
    if (close == std::string_view::npos) return make_error(errc::invalid_argument, "unclosed [ in " + std::string(url));
    ep.host = std::string(hp.substr(1, close - 1));
    hp.remove_prefix(close + 1);
    if (!hp.empty() && hp.front() != ':') return make_error(errc::invalid_argument, "not a server address: " + std::string(url));
    if (!hp.empty()) port = hp.substr(1);
  } else {
    auto colon = hp.rfind(':');
    ep.host = std::string(hp.substr(0, colon));
    if (colon != std::string_view::npos) port = hp.substr(colon + 1);
  }
  if (ep.host.empty()) return make_error(errc::invalid_argument, "no host in " + std::string(url));
  if (port.empty() && hp.find(':') == std::string_view::npos) {
    ep.port = ep.tls ? 443 : 80;
    return ep;
  }
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc{} || end != port.data() + port.size() || p == 0 || p > 65535)
    return make_error(errc::invalid_argument, "the port in " + std::string(url) + " is not a number from 1 to 65535");
  ep.port = static_cast<std::uint16_t>(p);
  return ep;
}

namespace {

using plain_ws = websocket::stream<beast::tcp_stream>;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;
using tls_ws = websocket::stream<tls_stream>;

// A client context that checks the server's certificate chain (CA file or
// the system store) and its name.
ssl::context make_context(const tls_options& o) {
  ssl::context ctx(ssl::context::tls_client);
  if (o.ca_file.empty()) ctx.set_default_verify_paths();
  else ctx.load_verify_file(o.ca_file);
  ctx.set_verify_mode(ssl::verify_peer);
  return ctx;
}

// TLS handshake on a connected stream: SNI and the host name check first.
void tls_handshake(tls_stream& s, const std::string& host) {
  if (!SSL_set_tlsext_host_name(s.native_handle(), host.c_str()))
    throw beast::system_error(beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()));
  s.set_verify_callback(ssl::host_name_verification(host));
  s.handshake(ssl::stream_base::client);
}

std::string host_header(const endpoint& ep) {
  bool v6 = ep.host.find(':') != std::string::npos;
  return (v6 ? "[" + ep.host + "]" : ep.host) + ":" + std::to_string(ep.port);
}

}  // namespace

struct ws_client::impl {
  asio::io_context ioc;
  std::optional<ssl::context> ctx;
  std::optional<plain_ws> plain;
  std::optional<tls_ws> secure;
  beast::flat_buffer buffer;
  bool open = false;
  bool read_pending = false;  // async_read issued, handler not run yet
  bool read_done = false;     // handler ran; result below not consumed yet
  beast::error_code read_ec;
  bool read_binary = true;

  bool connected() const { return plain || secure; }
  // Calls f with whichever stream is open.
  template <class F>
  decltype(auto) with(F&& f) {
    return plain ? f(*plain) : f(*secure);
  }
  tcp::socket& socket() {
    return with([](auto& ws) -> tcp::socket& { return beast::get_lowest_layer(ws).socket(); });
  }

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
    with([this](auto& ws) {
      ws.async_read(buffer, [this, &ws](beast::error_code ec, std::size_t) {
        read_pending = false;
        read_done = true;
        read_ec = ec;
        read_binary = ws.got_binary();
      });
    });
  }

  template <class Buffer>
  bool write(const Buffer& b, bool binary) {
    bool done = false;
    beast::error_code ec;
    with([&](auto& ws) {
      ws.binary(binary);
      ws.async_write(b, [&](beast::error_code e, std::size_t) {
        ec = e;
        done = true;
      });
    });
    bool ok = run_until([&] { return done; }, clock_type::now() + 10s);
    with([](auto& ws) { ws.binary(true); });
    return ok && !ec;
  }

  websocket::close_reason reason() {
    return with([](auto& ws) { return ws.reason(); });
  }
};

ws_client::ws_client() : p_(std::make_unique<impl>()) {}
ws_client::~ws_client() { drop(); }

bool ws_client::connect(const endpoint& ep, const tls_options& tls, std::string* err) {
  drop();
  try {
    tcp::resolver resolver(p_->ioc);
    auto results = resolver.resolve(ep.host, std::to_string(ep.port));
    auto setup = [&](auto& ws) {
      beast::get_lowest_layer(ws).expires_after(10s);
      beast::get_lowest_layer(ws).connect(results);
    };
    auto finish = [&](auto& ws) {
      beast::get_lowest_layer(ws).expires_never();
      ws.read_message_max(64u << 20);  // the caller sees whatever the server sends
      ws.handshake(host_header(ep), ep.target);
      ws.binary(true);
    };
    if (ep.tls) {
      p_->ctx.emplace(make_context(tls));
      p_->secure.emplace(p_->ioc, *p_->ctx);
      setup(*p_->secure);
      tls_handshake(p_->secure->next_layer(), ep.host);
      finish(*p_->secure);
    } else {
      p_->plain.emplace(p_->ioc);
      setup(*p_->plain);
      finish(*p_->plain);
    }
    p_->open = true;
    return true;
  } catch (const std::exception& e) {
    if (err) *err = e.what();
    p_->plain.reset();
    p_->secure.reset();
    return false;
  }
}

bool ws_client::connect(const std::string& host, std::uint16_t port, const std::string& target, std::string* err) {
  return connect(endpoint{false, host, port, target}, {}, err);
}

bool ws_client::is_open() const { return p_->open; }

bool ws_client::send(const bytes& frame) { return p_->open && p_->write(asio::buffer(frame), true); }

bool ws_client::send_text(const std::string& text) { return p_->open && p_->write(asio::buffer(text), false); }

ws_event ws_client::receive(std::chrono::milliseconds timeout) {
  ws_event ev;
  if (!p_->connected()) {
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
    ev.close_code = static_cast<int>(p_->reason().code);
    ev.message = std::string(p_->reason().reason.c_str());
    p_->open = false;
    return ev;
  }
  if (p_->read_ec) {
    ev.k = ws_event::kind::error;
    ev.message = p_->read_ec.message();
    // A failed websocket (e.g. the server's close after message_too_big, or
    // a reset) may still carry the peer's close reason.
    ev.close_code = static_cast<int>(p_->reason().code);
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
  if (!p_->connected()) return;
  if (p_->open) {
    bool done = false;
    p_->with([&](auto& ws) { ws.async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; }); });
    // The close completes when the server's close frame arrives, which a
    // pending read consumes; keep reading until then.
    if (!p_->read_pending) p_->start_read();
    p_->run_until([&] { return done && !p_->read_pending; }, clock_type::now() + 3s);
    p_->open = false;
  }
  drop();
}

void ws_client::drop() {
  if (!p_->connected()) return;
  beast::error_code ec;
  p_->socket().close(ec);
  // Let cancelled handlers run so nothing refers to the stream afterwards.
  p_->run_until([&] { return !p_->read_pending; }, clock_type::now() + 2s);
  p_->ioc.poll();
  p_->plain.reset();
  p_->secure.reset();
  p_->open = false;
  p_->read_pending = p_->read_done = false;
  p_->buffer.consume(p_->buffer.size());
}

namespace {

template <class Stream>
http_response exchange(Stream& s, const endpoint& ep, const std::string& method,
                       const std::map<std::string, std::string>& headers) {
  http_response out;
  http::request<http::empty_body> req{http::string_to_verb(method), ep.target, 11};
  req.set(http::field::host, host_header(ep));
  req.set(http::field::connection, "close");
  for (const auto& [name, value] : headers) req.set(name, value);
  http::write(s, req);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  if (method == "HEAD") parser.skip(true);
  http::read(s, buf, parser);
  auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  return out;
}

}  // namespace

http_response http_request(const endpoint& ep, const std::string& method, const tls_options& tls,
                           const std::map<std::string, std::string>& headers) {
  try {
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(ep.host, std::to_string(ep.port));
    if (ep.tls) {
      auto ctx = make_context(tls);
      tls_stream s(ioc, ctx);
      beast::get_lowest_layer(s).expires_after(10s);
      beast::get_lowest_layer(s).connect(results);
      tls_handshake(s, ep.host);
      auto out = exchange(s, ep, method, headers);
      beast::error_code ec;
      s.shutdown(ec);
      return out;
    }
    beast::tcp_stream s(ioc);
    s.expires_after(10s);
    s.connect(results);
    auto out = exchange(s, ep, method, headers);
    beast::error_code ec;
    s.socket().shutdown(tcp::socket::shutdown_both, ec);
    return out;
  } catch (const std::exception& e) {
    http_response out;
    out.body = e.what();
    return out;
  }
}

http_response http_get(const std::string& host, std::uint16_t port, const std::string& target,
                       const std::string& method) {
  return http_request(endpoint{false, host, port, target}, method);
}

}  // namespace packline::net
