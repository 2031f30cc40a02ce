// The parts of a push shared by inline_services and the engine: signature
// checks and the encoding of the live frame (see services.hpp).
#include "services.hpp"

#include "packline/wire/codec.hpp"
#include "packline/crypto/crypto.hpp"
#include "packline/wire/protocol.hpp"

namespace packline::server {

push_outcome verify_push(const push_job& job) {
  push_outcome out;
  for (std::size_t i = 0; i < job.envelopes.size(); ++i) {
    auto ok = crypto::verify_envelope(job.envelopes[i]);
    if (!ok) {
      out.bad_signature_at = static_cast<std::uint32_t>(i + 1);
      out.why = ok.err().message;
      return out;
    }
  }
  return out;
}

void finish_push(const push_job& job, push_outcome& out) {
  if (!out.stored) return;
  proto::live live;
  const auto& st = out.stored.value();
  for (std::size_t i = 0; i < st.size(); ++i) {
    if (!st[i].inserted) continue;
    // New changes of one batch have consecutive server sequences.
    if (live.items.empty()) live.prev = st[i].server_seq - 1;
    live.items.push_back(proto::stored_change{st[i].server_seq, job.batch[i].envelope});
  }
  if (live.items.empty()) return;
  out.live_prev = live.prev;
  out.live_last = live.items.back().server_seq;
  out.live = std::make_shared<const bytes>(codec::encode(live));
}

void inline_services::push(push_job job, std::function<void(push_outcome)> done) {
  auto out = verify_push(job);
  if (out.bad_signature_at == 0) {
    out.stored = db_.append(job.space, job.batch);
    finish_push(job, out);
  }
  done(std::move(out));
}

}  // namespace packline::server
