// The panel's whole cycle across four replicas (clerk, chair, two members)
// through the real packline-server binary: import, annotate, drafts by three
// members, merge by the chair, export, answers and actions, republication.
#include <doctest/doctest.h>

#include <map>

#include "packline/panel/export.hpp"
#include "packline/panel/workflow.hpp"
#include "packs.hpp"
#include "support/server_process.hpp"
#include "support/sync_client.hpp"

using namespace packline;
using namespace packline::test;
namespace wf = packline::workflow;

namespace {

// A device reconnecting pushes what it committed while the socket was idle.
void reconnect_all(const std::vector<sync_client*>& cs, std::uint16_t port) {
  for (auto* c : cs) {
    c->disconnect();
    REQUIRE(c->connect(port));
  }
  bool ok = sync_all(cs);
  for (auto* c : cs) {
    INFO("errors: " << (c->errors().empty() ? std::string() : c->errors().front()));
    CHECK(c->errors().empty());
  }
  REQUIRE(ok);
}

template <class T>
T must(result<T> r) {
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().message));
  return std::move(*r);
}
void must(result<void> r) { REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.err().message)); }

}  // namespace

PACKS_TEST_CASE("workflow integration: import, annotate, draft, merge, export, answer across replicas via the server") {
  REQUIRE(crypto::init().ok());
  temp_dir tmp;
  server_process srv(tmp.sub("data"), tmp.sub("server.log"));
  REQUIRE_MESSAGE(srv.start(), srv.error());
  const std::uint16_t port = srv.port();
  INFO(srv.log());

  // The clerk's device joins the server's default panel and sets it up.
  sync_client clerk;
  REQUIRE(clerk.connect(port));
  REQUIRE(clerk.sync());
  REQUIRE(clerk.rep().space().size() == 16);
  std::string clerk_id = must(wf::register_member(clerk.rep(), "Elaine Tibble", "clerk", wall_ms()));
  std::string chair_id = must(wf::add_member(clerk.rep(), "Mike Short", "chair", wall_ms()));
  std::string sherry_id = must(wf::add_member(clerk.rep(), "Sherry Jespersen", "member", wall_ms()));
  std::string pete_id = must(wf::add_member(clerk.rep(), "Pete Barrow", "member", wall_ms()));
  std::string v1 = read_pack(december_2020);
  auto parsed = must(pack::parse_text(v1));
  auto rep = must(wf::import_pack(clerk.rep(), parsed, {}, wall_ms()));
  CHECK(rep.changes >= 3);
  const std::string meeting = rep.meeting;

  sync_client chair, sherry, pete;
  std::vector<sync_client*> all{&clerk, &chair, &sherry, &pete};
  for (auto* c : {&chair, &sherry, &pete}) REQUIRE(c->connect(port));
  reconnect_all(all, port);
  must(wf::sign_in(chair.rep(), chair_id));
  must(wf::sign_in(sherry.rep(), sherry_id));
  must(wf::sign_in(pete.rep(), pete_id));
  for (auto* c : all) {
    auto items = must(wf::items(c->rep(), meeting));
    REQUIRE(items.size() == 13);
    CHECK(items[10].title == "FORWARD PLAN");
    CHECK(items[10].pages == "39 - 48");
  }

  // Sherry annotates the monitoring report for the panel; three members draft.
  auto item5 = must(wf::items(sherry.rep(), meeting))[4];
  auto blocks = must(wf::blocks(sherry.rep(), item5.id));
  const wf::block_view* hate = nullptr;
  for (auto& b : blocks)
    if (b.text.find("Recorded Hate Crime (YTD)") != std::string::npos) hate = &b;
  REQUIRE(hate);
  wf::annotation_draft ad;
  ad.block = hate->id;
  ad.start = static_cast<std::int64_t>(hate->text.find("Recorded Hate Crime"));
  ad.end = ad.start + 19;
  ad.kind = "note";
  ad.body = "Up 36.7%: ask why";
  ad.visibility = "panel";
  std::string note = must(wf::annotate(sherry.rep(), ad, wall_ms()));
  auto draft = [&](sync_client& c, const std::string& body) {
    std::string q = must(wf::draft_question(c.rep(), item5.id, body, wall_ms()));
    must(wf::submit_question(c.rep(), q, wall_ms()));
    return q;
  };
  std::string q1 = draft(sherry, "Why has recorded hate crime risen by 36.7%?");
  std::string q2 = draft(pete, "What explains the rise in hate crime this year?");
  std::string q3 = draft(chair, "How is the Bobby Van service being expanded?");
  reconnect_all(all, port);

  // The chair merges the two hate crime drafts and lists the third.
  auto seen = must(wf::questions(chair.rep(), meeting));
  REQUIRE(seen.size() == 3);
  wf::consolidated_draft cd;
  cd.meeting = meeting;
  cd.sources = {q1, q2};
  cd.body = "Recorded hate crime is up 36.7% year to date. What lies behind the rise?";
  cd.lead = sherry_id;
  cd.lead_label = "Priority One (Sherry)";
  std::string c1 = must(wf::consolidate(chair.rep(), cd, wall_ms()));
  cd.sources = {q3};
  cd.body = "How will the Bobby Van service be expanded?";
  cd.lead = chair_id;
  cd.lead_label.clear();
  std::string c2 = must(wf::consolidate(chair.rep(), cd, wall_ms()));
  CHECK_FALSE(wf::consolidate(sherry.rep(), cd, wall_ms()).ok());  // members cannot
  std::string md = must(exporter::markdown(chair.rep(), meeting));
  CHECK(md.find("# Dorset Police and Crime Panel – 10 December 2020") == 0);
  CHECK(md.find("**1. Question Lead – Priority One (Sherry)**\n\nRecorded hate crime is up 36.7%") != std::string::npos);
  CHECK(md.find("**2. Question Lead – Mike Short**") != std::string::npos);
  reconnect_all(all, port);

  // After the meeting the clerk records the answers and an action.
  must(wf::record_response(clerk.rep(), c1, "Better recording after the awareness campaign.", "01:20:24", false, wall_ms()));
  must(wf::record_response(clerk.rep(), c2, "A second van from April.", "", true, wall_ms()));
  wf::action act;
  act.meeting = meeting;
  act.consolidated = c1;
  act.text = "PCC to send the hate crime breakdown by district";
  act.owner = "PCC";
  act.due = "2021-02-04";
  must(wf::add_action(clerk.rep(), act, wall_ms()));
  reconnect_all(all, port);

  // Every replica agrees, and each member sees what became of their draft.
  for (auto* c : all) CHECK(c->rep().digest() == clerk.rep().digest());
  std::map<std::string, std::string> outcome;
  for (auto& q : must(wf::questions(pete.rep(), meeting))) outcome[q.id] = q.outcome;
  CHECK(outcome[q1] == "answered at the meeting (Q1)");
  CHECK(outcome[q2] == "answered at the meeting (Q1)");
  CHECK(outcome[q3] == "answered in writing (Q2)");
  std::map<std::string, std::string> recorded;  // consolidated question -> recording time
  for (auto& resp : must(wf::responses(sherry.rep(), meeting))) recorded[resp.consolidated] = resp.recording_time;
  CHECK(recorded[c1] == "01:20:24");
  CHECK(recorded[c2] == "");
  CHECK(must(wf::actions(sherry.rep(), meeting)).size() == 1);
  auto notes = must(wf::annotations(pete.rep(), meeting));
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].body == "Up 36.7%: ask why");
  CHECK(notes[0].status == wf::anchor_status::exact);

  // The clerk republishes with the indicator renamed: the note's text changed.
  std::string v2 = v1;
  auto at = v2.find("Recorded Hate Crime (YTD)");
  REQUIRE(at != std::string::npos);
  v2.replace(at, 19, "Recorded hate offences");
  auto rep2 = must(wf::import_pack(clerk.rep(), must(pack::parse_text(v2)), {}, wall_ms()));
  CHECK(rep2.version == 2);
  reconnect_all(all, port);
  auto renotes = must(wf::annotations(sherry.rep(), meeting));
  REQUIRE(renotes.size() == 1);
  CHECK(renotes[0].id == note);
  CHECK(renotes[0].status == wf::anchor_status::text_changed);
  CHECK(renotes[0].quote == "Recorded Hate Crime");
  CHECK(renotes[0].current_text == "Recorded hate offences");
  for (auto* c : all) CHECK(c->rep().digest() == clerk.rep().digest());
  for (auto* c : all) c->disconnect();
}
