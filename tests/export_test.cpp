// Export of the consolidated list in the panel's own form (Markdown, HTML).
#include <doctest/doctest.h>

#include "packline/panel/export.hpp"
#include "packline/panel/workflow.hpp"
#include "packs.hpp"

using namespace packline;
namespace wf = packline::workflow;

PACKS_TEST_CASE("export: numbered questions in sections with their question leads") {
  auto x = replica::create(crypto::random_bytes(32));
  REQUIRE(x.ok());
  auto& r = **x;
  REQUIRE(r.set_space(crypto::random_bytes(16)).ok());
  const std::uint64_t now = 1'607'000'000'000;
  auto clerk = wf::register_member(r, "Elaine Tibble", "clerk", now);
  REQUIRE(clerk.ok());
  auto chair = wf::add_member(r, "Mike Short", "chair", now);
  auto sherry = wf::add_member(r, "Sherry Jespersen", "member", now);
  auto p = pack::parse_text(test::read_pack(test::july_2021_report));
  REQUIRE(p.ok());
  wf::import_options confirmed;
  confirmed.add_priorities = true;  // the clerk confirms the plan's priorities
  auto rep = wf::import_pack(r, *p, confirmed, now);
  REQUIRE(rep.ok());
  auto pri = wf::priorities(r);
  REQUIRE(pri->size() == 6);
  REQUIRE(wf::sign_in(r, *chair).ok());
  wf::consolidated_draft c;
  c.meeting = rep->meeting;
  c.body = "What is the timetable for the new Police and Crime Plan?";
  c.lead = *sherry;
  c.priority = pri->at(1).id;
  REQUIRE(wf::consolidate(r, c, now).ok());
  c.body = "How will the doubling of the rural crime team be funded?";
  c.section = "Finance";
  c.lead_label = "Priority Four (Mike)";
  c.target = "Treasurer";
  REQUIRE(wf::consolidate(r, c, now).ok());
  c.body = "Is the <Country Watch> scheme \"costed\" & staffed?";
  c.section = "In quarter";
  c.lead_label.clear();
  c.priority.clear();
  c.target = "PCC";
  REQUIRE(wf::consolidate(r, c, now).ok());

  auto md = exporter::markdown(r, rep->meeting);
  REQUIRE(md.ok());
  CHECK(*md ==
        "# Police and Crime Panel – 7 July 2021\n\n"
        "## Questions to the Police and Crime Commissioner\n\n"
        "### In quarter questions\n\n"
        "**1. Question Lead – Priority Two (Sherry Jespersen)**\n\n"
        "What is the timetable for the new Police and Crime Plan?\n\n"
        "**3. Question Lead – Sherry Jespersen**\n\n"
        "Is the <Country Watch> scheme \"costed\" & staffed?\n\n"
        "### Finance questions\n\n"
        "**2. Question Lead – Priority Four (Mike)** (to the Treasurer)\n\n"
        "How will the doubling of the rural crime team be funded?\n");
  auto html = exporter::html(r, rep->meeting);
  REQUIRE(html.ok());
  CHECK(html->rfind("<!doctype html>", 0) == 0);
  CHECK(html->find("<h3>Finance questions</h3>\n<ol start=\"2\">") != std::string::npos);
  CHECK(html->find("<span class=\"lead\">Question Lead – Priority Two (Sherry Jespersen)</span>") != std::string::npos);
  CHECK(html->find("Is the &lt;Country Watch&gt; scheme &quot;costed&quot; &amp; staffed?") != std::string::npos);
  CHECK(html->find("@page") != std::string::npos);
  CHECK(exporter::markdown(r, "00").err().code == errc::invalid_argument);
}
