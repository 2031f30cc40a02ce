// bench/run crypto: sealing and opening changes per second, Argon2id
// time, and the sync path (commit -> server admission -> apply on another
// replica) of an open panel against a secured one, in one process. Prints
// JSON lines {"suite","case","impl","metric","value","unit"}; built natively
// (impl "native") and, under Emscripten, for Node (impl "wasm").
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "packline/crypto/at_rest.hpp"
#include "packline/wire/codec.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/crypto/keyring.hpp"
#include "packline/replica/replica.hpp"

using namespace packline;
using clk = std::chrono::steady_clock;

namespace {

#ifdef __EMSCRIPTEN__
const char* impl = "wasm";
#else
const char* impl = "native";
#endif

void emit(const char* c, const char* metric, double v, const char* unit) {
  std::printf("{\"suite\":\"crypto\",\"case\":\"%s\",\"impl\":\"%s\",\"metric\":\"%s\",\"value\":%.6g,\"unit\":\"%s\"}\n", c,
              impl, metric, v, unit);
  std::fflush(stdout);
}

double secs(clk::time_point a) { return std::chrono::duration<double>(clk::now() - a).count(); }

op set(const char* table, const bytes& row, const char* field, value v) { return set_op(table, row, field, std::move(v)); }

// A typical change: a drafted question (five fields, ~300 bytes of text).
std::vector<op> question_ops(const bytes& author) {
  bytes q = new_row_id();
  return {set("question", q, "author", author), set("question", q, "status", std::string("draft")),
          set("question", q, "target", std::string("PCC")), set("question", q, "section", std::string("In quarter")),
          set("question", q, "target",
              std::string("Can the Commissioner explain why the proportion of 999 calls answered within ten seconds fell in "
                          "the quarter, what the force is doing about call handler vacancies, and when the panel can "
                          "expect performance to return to the national target? What does the Commissioner make of it?"))};
}

void seal_open() {
  auto key = crypto::signing_key::generate();
  crypto::secret space_key = crypto::secret::random(32);
  change_body body{{1'800'000'000'000, 0}, question_ops(new_row_id()), {}};
  bytes plain = codec::encode_body(body, key.public_key());
  const int n = 20000;
  envelope e;
  e.space = bytes(16, 1);
  std::vector<envelope> sealed(n), signed_only(n);
  auto t = clk::now();
  for (int i = 0; i < n; ++i) {
    e.seq = i + 1;
    e.epoch = 1;
    (void)crypto::seal_envelope(e, plain, space_key, key);
    sealed[i] = e;
  }
  emit("seal", "changes_per_s", n / secs(t), "1/s");
  t = clk::now();
  for (int i = 0; i < n; ++i) {
    e.seq = i + 1;
    e.epoch = 0;
    e.payload = plain;
    crypto::sign_envelope(e, key);
    signed_only[i] = e;
  }
  emit("sign_plaintext", "changes_per_s", n / secs(t), "1/s");
  t = clk::now();
  std::size_t ok = 0;
  for (auto& s : sealed) ok += crypto::verify_envelope(s).ok() && crypto::open_envelope(s, space_key).ok();
  emit("open", "changes_per_s", n / secs(t), "1/s");
  t = clk::now();
  for (auto& s : signed_only) ok += crypto::verify_envelope(s).ok();
  emit("verify_plaintext", "changes_per_s", n / secs(t), "1/s");
  if (ok != 2 * static_cast<std::size_t>(n)) std::fprintf(stderr, "crypto_bench: %zu checks failed\n", 2 * n - ok);
  t = clk::now();
  for (int i = 0; i < n; ++i) (void)crypto::aead_seal(space_key, bytes(79, 1), plain);
  emit("aead_only", "changes_per_s", n / secs(t), "1/s");
  t = clk::now();
  for (int i = 0; i < n; ++i) (void)crypto::random_bytes(24);
  emit("nonce_24B", "per_s", n / secs(t), "1/s");
  emit("seal", "payload_bytes", static_cast<double>(plain.size()), "B");
  emit("seal", "overhead_bytes", static_cast<double>(sealed[0].payload.size() - plain.size()), "B");
}

void argon2() {
  crypto::kdf_params p = crypto::storage_kdf;
  bytes salt(16, 3);
  auto t = clk::now();
  const int n = 3;
  for (int i = 0; i < n; ++i) (void)crypto::derive_key("correct horse battery staple", salt, p);
  emit("argon2id_ops3_mem64MiB", "ms", 1000 * secs(t) / n, "ms");
  // Sealing a 5 MiB replica image (no Argon2id: the key is kept after unlock).
  auto k = at_rest::new_key("bench passphrase", {1, 8 * 1024});
  bytes image(5 << 20, 7);
  t = clk::now();
  auto s = at_rest::seal_replica(image, *k);
  emit("seal_replica_5MiB", "ms", 1000 * secs(t), "ms");
  t = clk::now();
  (void)at_rest::open_replica(*s, *k);
  emit("open_replica_5MiB", "ms", 1000 * secs(t), "ms");
}

// The sync path of N changes: A commits, the server admits (signature and,
// when secured, keyring), B applies. Open panel vs secured panel.
double sync_path(bool secured, int n) {
  auto a = std::move(*replica::create(crypto::random_bytes(32)));
  auto b = std::move(*replica::create(crypto::random_bytes(32)));
  bytes space = crypto::random_bytes(16);
  bytes ma = new_row_id(), mb = new_row_id();
  keyring::state kr;
  std::vector<bytes> log;
  auto deliver = [&](replica& from) {
    for (auto& raw : from.pending(100000)) {
      auto e = codec::decode_envelope(raw);
      if (!e || !crypto::verify_envelope(*e)) std::abort();
      if (secured && !keyring::admit(kr, space, *e, log.empty(), 1'800'000'000'000)) std::abort();
      log.push_back(raw);
      (void)from.acked(e->actor, e->seq, log.size());
    }
  };
  auto pull = [&](replica& to) {
    for (std::uint64_t i = to.cursor(); i < log.size(); ++i) {
      (void)to.apply(log[i], i + 1, 1'800'000'000'000);
      (void)to.set_cursor(i + 1);
    }
  };
  if (secured) {
    (void)a->found_space(space, ma, "chair", 1'800'000'000'000);
    auto code = a->create_invite(mb, "member", 1'800'000'000'000);
    deliver(*a);
    pull(*a);
    (void)b->redeem_invite(*code, 1'800'000'000'000);
    deliver(*b);
    pull(*b);
    pull(*a);
    deliver(*a);
    pull(*b);
  } else {
    (void)a->set_space(space);
    (void)b->set_space(space);
  }
  auto t = clk::now();
  for (int i = 0; i < n; ++i) {
    if (!a->commit(question_ops(ma), 1'800'000'000'000 + i)) std::abort();
  }
  deliver(*a);
  pull(*b);
  double s = secs(t);
  if (b->rows("question")->size() != static_cast<std::size_t>(n)) std::fprintf(stderr, "crypto_bench: sync lost changes\n");
  return n / s;
}

}  // namespace

int main() {
  if (!crypto::init()) return 1;
  seal_open();
  argon2();
  const int n = 3000;
  double open_rate = 0, sealed_rate = 0;
  for (int round = 0; round < 3; ++round) {  // interleaved, best of 3: the machine is shared
    open_rate = std::max(open_rate, sync_path(false, n));
    sealed_rate = std::max(sealed_rate, sync_path(true, n));
  }
  emit("sync_path_open", "changes_per_s", open_rate, "1/s");
  emit("sync_path_secured", "changes_per_s", sealed_rate, "1/s");
  emit("sync_path", "cost_of_encryption", 1.0 - sealed_rate / open_rate, "ratio");
  return 0;
}
