// Test clients over the real WebSocket (see sync_client.hpp).
#include "sync_client.hpp"

#include <chrono>

#include "packline/base/limits.hpp"

namespace packline::test {

using namespace std::chrono;

std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

namespace {
std::unique_ptr<replica> new_replica(const bytes& space, const bytes& seed = crypto::random_bytes(32)) {
  auto r = replica::create(seed);
  if (!r) return nullptr;
  if (!space.empty() && !r.value()->set_space(space)) return nullptr;
  return std::move(r.value());
}
}  // namespace

sync_client::sync_client(const bytes& space) : rep_(new_replica(space)), session_(*rep_) {}
sync_client::sync_client(const bytes& space, const bytes& seed) : rep_(new_replica(space, seed)), session_(*rep_) {}
sync_client::sync_client(std::unique_ptr<replica> r) : rep_(std::move(r)), session_(*rep_) {}

std::uint64_t sync_client::commit(std::vector<op> ops) {
  auto seq = rep_->commit(std::move(ops), wall_ms());
  if (!seq) {
    errors_.push_back("commit: " + seq.err().message);
    return 0;
  }
  flush();
  return seq.value();
}

void sync_client::flush() {
  if (ws_.is_open())
    for (auto& f : session_.flush()) ws_.send(f);
}

bytes sync_client::draft_question(const std::string& body) {
  bytes id = new_row_id();
  commit({op{op_kind::set, "question", id, "target", body},
          op{op_kind::set, "question", id, "status", std::string("draft")}});
  return id;
}

bool sync_client::connect(std::uint16_t port) {
  std::string err;
  if (!ws_.connect("127.0.0.1", port, "/sync", &err)) {
    errors_.push_back("connect: " + err);
    return false;
  }
  for (auto& f : session_.on_open())
    if (!ws_.send(f)) return false;
  return true;
}

void sync_client::disconnect() {
  ws_.close();
  session_.on_close();
}

void sync_client::drop() {
  ws_.drop();
  session_.on_close();
}

bool sync_client::step(milliseconds wait) {
  if (!ws_.is_open()) return false;
  auto ev = ws_.receive(wait);
  if (ev.k == ws_event::kind::timeout) return false;
  if (ev.k != ws_event::kind::frame) {
    errors_.push_back("connection ended: code " + std::to_string(ev.close_code) + " " + ev.message);
    session_.on_close();
    return false;
  }
  // Record what the server promised before the session consumes it.
  if (auto m = codec::decode(ev.data)) {
    if (auto* a = std::get_if<proto::ack>(&m.value()))
      acks_.insert(acks_.end(), a->entries.begin(), a->entries.end());
    if (auto* e = std::get_if<proto::error>(&m.value()))
      errors_.push_back("server error " + std::to_string(e->code) + ": " + e->text);
  }
  auto out = session_.on_frame(ev.data, wall_ms());
  if (!out) {
    errors_.push_back("session: " + out.err().message);
    drop();
    return true;
  }
  for (auto& f : out.value()) ws_.send(f);
  for (auto& r : session_.take_rejections()) errors_.push_back("rejected: " + r);
  return true;
}

bool sync_client::sync(milliseconds limit, milliseconds quiet) { return sync_all({this}, limit, quiet); }

bool sync_all(const std::vector<sync_client*>& clients, milliseconds limit, milliseconds quiet) {
  auto deadline = steady_clock::now() + limit;
  auto last_frame = steady_clock::now();
  while (steady_clock::now() < deadline) {
    bool any = false;
    for (auto* c : clients) {
      if (!c->connected()) return false;
      while (c->step(milliseconds(20))) any = true;
    }
    auto now = steady_clock::now();
    if (any) {
      last_frame = now;
      continue;
    }
    bool all_synced = true;
    for (auto* c : clients) all_synced = all_synced && c->session().state() == sync_state::synced;
    if (all_synced && now - last_frame >= quiet) return true;
  }
  return false;
}

raw_device::raw_device() : key_(crypto::signing_key::generate()) {}
raw_device::raw_device(const bytes& seed) : key_(crypto::signing_key::from_seed(seed).value()) {}

bool raw_device::connect(std::uint16_t port) { return ws_.connect("127.0.0.1", port, "/sync"); }

std::optional<proto::message> raw_device::next(milliseconds wait) {
  last_ = ws_.receive(wait);
  if (last_.k != ws_event::kind::frame) return std::nullopt;
  auto m = codec::decode(last_.data);
  if (!m) return std::nullopt;
  return m.value();
}

int raw_device::wait_closed(milliseconds wait) {
  auto deadline = steady_clock::now() + wait;
  while (steady_clock::now() < deadline) {
    auto ev = ws_.receive(duration_cast<milliseconds>(deadline - steady_clock::now()));
    if (ev.k == ws_event::kind::closed || ev.k == ws_event::kind::error) {
      last_ = ev;
      return ev.close_code;
    }
    if (ev.k == ws_event::kind::timeout) break;
  }
  return -1;
}

std::optional<proto::welcome> raw_device::handshake(const bytes& space, std::uint32_t version) {
  if (!send(proto::hello{version, id(), space})) return std::nullopt;
  auto c = next();
  if (!c || !std::holds_alternative<proto::challenge>(*c)) return std::nullopt;
  auto& ch = std::get<proto::challenge>(*c);
  if (!send(proto::auth{key_.sign(proto::auth_transcript(ch.nonce, ch.space))})) return std::nullopt;
  auto w = next();
  if (!w || !std::holds_alternative<proto::welcome>(*w)) return std::nullopt;
  return std::get<proto::welcome>(*w);
}

envelope raw_device::make_envelope(const bytes& space, std::uint64_t seq, const std::string& body) {
  change_body b;
  b.hlc = hlc_timestamp{wall_ms(), 0};
  b.ops.push_back(op{op_kind::set, "question", new_row_id(), "target", body});
  envelope e;
  e.space = space;
  e.seq = seq;
  e.epoch = 0;
  e.payload = codec::encode_body(b);
  crypto::sign_envelope(e, key_);
  return e;
}

}  // namespace packline::test
