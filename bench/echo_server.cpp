// The ceiling for `bench/run server`: a plain Beast WebSocket server with no
// protocol, no crypto and no storage, measured by the same load generator as
// packline-server. /echo sends every frame back to its sender; /room/<n>
// sends every frame to the other connections of room n (Beast's chat-multi
// fan-out). One io_context thread, like packline-server's network thread.
// Loopback only: it binds 127.0.0.1.
#include <sys/resource.h>

#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

using frame_ptr = std::shared_ptr<const std::string>;
class session;
std::map<std::string, std::unordered_set<session*>> rooms;

class session : public std::enable_shared_from_this<session> {
 public:
  explicit session(tcp::socket&& s) : ws_(std::move(s)) {}
  ~session() {
    if (!room_.empty()) rooms[room_].erase(this);
  }

  void run() {
    http::async_read(beast::get_lowest_layer(ws_), buf_, req_,
                     beast::bind_front_handler(&session::on_request, shared_from_this()));
  }

  void send(frame_ptr f) {
    // Same bound as a sane server: a reader that never reads is cut.
    if (queue_.size() >= 1024) {
      beast::error_code ec;
      beast::get_lowest_layer(ws_).socket().close(ec);
      return;
    }
    queue_.push_back(std::move(f));
    if (queue_.size() == 1) do_write();
  }

 private:
  void on_request(beast::error_code ec, std::size_t) {
    if (ec || !websocket::is_upgrade(req_)) return;
    std::string target(req_.target());
    if (target.rfind("/room/", 0) == 0) room_ = target.substr(6);
    websocket::stream_base::timeout t = websocket::stream_base::timeout::suggested(beast::role_type::server);
    ws_.set_option(t);
    ws_.read_message_max(1 << 20);
    ws_.binary(true);
    ws_.auto_fragment(false);
    ws_.async_accept(req_, beast::bind_front_handler(&session::on_accept, shared_from_this()));
  }

  void on_accept(beast::error_code ec) {
    if (ec) return;
    if (!room_.empty()) rooms[room_].insert(this);
    do_read();
  }

  void do_read() {
    ws_.async_read(buf_, beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return;
    auto f = std::make_shared<const std::string>(beast::buffers_to_string(buf_.data()));
    buf_.consume(buf_.size());
    if (room_.empty()) {
      send(f);
    } else {
      for (auto* s : rooms[room_])
        if (s != this) s->send(f);
    }
    do_read();
  }

  void do_write() {
    ws_.async_write(net::buffer(*queue_.front()),
                    beast::bind_front_handler(&session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) return;
    queue_.pop_front();
    if (!queue_.empty()) do_write();
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buf_;
  http::request<http::empty_body> req_;
  std::deque<frame_ptr> queue_;
  std::string room_;
};

void do_accept(tcp::acceptor& acc) {
  acc.async_accept([&acc](beast::error_code ec, tcp::socket s) {
    if (!ec) {
      beast::error_code nd;
      s.set_option(tcp::no_delay(true), nd);
      std::make_shared<session>(std::move(s))->run();
    }
    if (acc.is_open()) do_accept(acc);
  });
}

}  // namespace

int main(int argc, char** argv) {
  unsigned port = argc > 2 && std::string(argv[1]) == "--port" ? std::atoi(argv[2]) : 0;
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  net::io_context ioc{1};
  tcp::acceptor acc(ioc);
  tcp::endpoint ep{net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)};
  acc.open(ep.protocol());
  acc.set_option(net::socket_base::reuse_address(true));
  acc.bind(ep);
  acc.listen(4096);
  std::fprintf(stderr, "echo_server listening port=%u\n", acc.local_endpoint().port());
  do_accept(acc);
  net::signal_set sig(ioc, SIGINT, SIGTERM);
  sig.async_wait([&](beast::error_code, int) { ioc.stop(); });
  ioc.run();
  return 0;
}
