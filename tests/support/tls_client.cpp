// Beast + OpenSSL implementation of tls_client.hpp (synchronous, with a
// socket timeout so a broken server fails the test instead of hanging it).
#include "tls_client.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

namespace packline::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

namespace {
ssl::context make_ctx(const std::string& ca_file) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.load_verify_file(ca_file);
  ctx.set_verify_mode(ssl::verify_peer);
  return ctx;
}
}  // namespace

http_response https_get(std::uint16_t port, const std::string& target, const std::string& ca_file) {
  http_response out;
  try {
    net::io_context ioc;
    auto ctx = make_ctx(ca_file);
    beast::ssl_stream<beast::tcp_stream> s(ioc, ctx);
    beast::get_lowest_layer(s).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(s).connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
    s.handshake(ssl::stream_base::client);
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(s, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(s, buf, res);
    out.status = static_cast<int>(res.result_int());
    out.body = res.body();
    for (auto& f : res) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(f.value());
    }
    beast::error_code ec;
    s.shutdown(ec);
  } catch (const std::exception& e) {
    out.status = 0;
    out.body = e.what();
  }
  return out;
}

bytes wss_exchange(std::uint16_t port, const bytes& frame, const std::string& ca_file, std::string* err) {
  try {
    net::io_context ioc;
    auto ctx = make_ctx(ca_file);
    websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ioc, ctx);
    beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(ws).connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
    ws.next_layer().handshake(ssl::stream_base::client);
    ws.handshake("127.0.0.1:" + std::to_string(port), "/sync");
    ws.binary(true);
    ws.write(net::buffer(frame));
    beast::flat_buffer buf;
    ws.read(buf);
    auto d = buf.cdata();
    bytes out(static_cast<const std::uint8_t*>(d.data()), static_cast<const std::uint8_t*>(d.data()) + d.size());
    beast::error_code ec;
    ws.close(websocket::close_code::normal, ec);
    return out;
  } catch (const std::exception& e) {
    if (err) *err = e.what();
    return {};
  }
}

}  // namespace packline::test
