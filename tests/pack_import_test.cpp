// Pack import on the real packs of ../shared/packs (skipped, by name, when
// they are absent): meeting, the 13 items of December 2020 with titles and
// page ranges, documents, pages, blocks, the forward plan, plan priorities;
// what is not an agenda is still imported as a document.
#include <doctest/doctest.h>

#include <algorithm>

#include "packline/demo.hpp"
#include "packline/pack_import.hpp"
#include "packs.hpp"

using namespace packline;
using packline::test::read_pack;

namespace {

struct expected_item { const char* number; const char* title; const char* pages; };

// As printed on the agenda of the December 2020 pack.
constexpr expected_item december_items[] = {
    {"1", "APOLOGIES", ""},
    {"2", "MINUTES", "5 - 14"},
    {"3", "DECLARATIONS OF INTEREST", ""},
    {"4", "PUBLIC PARTICIPATION", ""},
    {"5", "POLICE AND CRIME PLAN MONITORING REPORT", "15 - 24"},
    {"6", "COVID - UPDATE", ""},
    {"7", "REVIEW OF PRECEPT ACTIVITY", ""},
    {"8", "HEALTH AND WELLBEING STRATEGY", "25 - 32"},
    {"9", "FRAUD AND CYBER CRIME", "33 - 38"},
    {"10", "COMPLAINTS UPDATE AND NOMINATIONS TO COMPLAINTS SUB COMMITTEE", ""},
    {"11", "FORWARD PLAN", "39 - 48"},
    {"12", "URGENT ITEMS", ""},
    {"13", "EXEMPT BUSINESS", ""},
};

pack::parsed december() {
  auto p = pack::parse_text(read_pack(test::december_2020));
  REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.err().message));
  return std::move(*p);
}

const pack::document* doc_of(const pack::parsed& p, const std::string& number) {
  for (auto& d : p.documents)
    if (p.items[static_cast<std::size_t>(d.item)].number == number) return &d;
  return nullptr;
}

}  // namespace

PACKS_TEST_CASE("pack import: December 2020 pack recovers the meeting from the front sheet") {
  auto p = december();
  CHECK(p.kind == "agenda_pack");
  CHECK(p.meeting.title == "Dorset Police and Crime Panel");
  CHECK(p.meeting.date == "2020-12-10");
  CHECK(p.meeting.time == "10:00");
  CHECK(p.meeting.venue == "A link to the meeting can be found on the front page of the agenda.");
  CHECK(p.meeting.quorum == 3);
  CHECK(p.meeting.chair == "Mike Short");
  CHECK(p.meeting.vice_chair == "Bobbie Dove");
  REQUIRE(p.meeting.members.size() == 12);
  CHECK(p.meeting.members.front() == "Mike Short");
  CHECK(p.meeting.members.back() == "David Taylor");
  CHECK(std::count(p.meeting.members.begin(), p.meeting.members.end(), "Sherry Jespersen") == 1);
  // "The deadline ... is 8.30am on Monday 7 December 2020."
  CHECK(p.meeting.public_deadline == "2020-12-07 08:30");
}

PACKS_TEST_CASE("pack import: December 2020 pack has all 13 items with titles and page ranges") {
  auto p = december();
  REQUIRE(p.items.size() == 13);
  for (std::size_t i = 0; i < 13; ++i) {
    CAPTURE(i);
    CHECK(p.items[i].number == december_items[i].number);
    CHECK(p.items[i].title == december_items[i].title);
    CHECK(p.items[i].pages == december_items[i].pages);
  }
  CHECK(p.items[1].first_page == 5);
  CHECK(p.items[1].last_page == 14);
  CHECK(p.items[10].first_page == 39);
  CHECK(p.items[10].last_page == 48);
  CHECK(p.items[1].description == "To confirm the minutes of the meeting held on 24 September 2020");
  CHECK(p.items[6].description == "To receive a verbal update and presentation from the Treasurer.");
  // Exempt business only.
  for (std::size_t i = 0; i < 12; ++i) CHECK_FALSE(p.items[i].exempt);
  CHECK(p.items[12].exempt);
  CHECK(p.warnings.empty());
}

PACKS_TEST_CASE("pack import: December 2020 papers follow their items, with page numbers in their ranges") {
  auto p = december();
  REQUIRE(p.documents.size() == 7);  // items 2, 5, 8, 9 and 11 have papers; 2 and 8 an appendix each
  struct want { const char* number; const char* title; const char* first_text; };
  const want docs[] = {
      {"2", "MINUTES OF MEETING HELD ON THURSDAY 24 SEPTEMBER 2020", "DORSET POLICE AND CRIME PANEL"},
      {"5", "Police & Crime Plan Monitoring Report – Q2 2020/21", "Dorset Police and Crime Panel"},
      {"8", "HEALTH AND WELLBEING UPDATE", "AGENDA NO: 8"},
      {"9", "FRAUD AND CYBER CRIME", "AGENDA NO: 9"},
      {"11", "FORWARD PLAN", "Dorset Police and Crime Panel 10 December 2020"},
  };
  for (auto& w : docs) {
    CAPTURE(w.number);
    auto* d = doc_of(p, w.number);
    REQUIRE(d);
    CHECK(d->title == w.title);
    CHECK(p.blocks[d->first_block].text.rfind(w.first_text, 0) == 0);
    auto& it = p.items[static_cast<std::size_t>(d->item)];
    // A paper starts on the page the agenda gives it; other blocks have a
    // page only where the text marks one (no page is guessed).
    CHECK(p.blocks[d->first_block].page == it.first_page);
    for (std::size_t b = d->first_block; b < d->first_block + d->blocks; ++b) {
      CHECK(p.blocks[b].item == d->item);
      if (p.blocks[b].page == 0) continue;
      CHECK(p.blocks[b].page >= it.first_page);
      CHECK(p.blocks[b].page <= it.last_page);
    }
  }
  // The footer "Page 18" sits on page 18; the minutes' own items stay in the minutes.
  int footers = 0;
  for (auto& b : p.blocks) {
    int n = 0;
    if (b.kind == "page_marker" && std::sscanf(b.text.c_str(), "Page %d", &n) == 1) {
      CHECK(b.page == n);
      ++footers;
    }
    if (b.text == "6. Police and Crime Plan Monitoring Report") CHECK(p.items[static_cast<std::size_t>(b.item)].number == "2");
  }
  CHECK(footers == 5);
  // Front sheet and agenda: no footer marks their pages, and they belong to no item.
  CHECK(p.blocks.front().page == 0);
  CHECK(p.blocks[doc_of(p, "2")->first_block - 1].page == 0);
  CHECK(p.blocks[doc_of(p, "2")->first_block - 1].item == -1);
  // Page 41 is known from its footer back to the footer of page 40 only if
  // there is one; "Page 19" closes the text after "Page 18".
  for (auto& b : p.blocks)
    if (b.text.rfind("This page is intentionally left blank", 0) == 0) CHECK(b.page != 1);
  CHECK(p.pages == 48);
  CHECK_FALSE(p.pages_exact);
}

PACKS_TEST_CASE("pack import: no text is dropped; kinds of blocks are recognised") {
  std::string text = read_pack(test::december_2020);
  auto p = december();
  std::string all;
  for (auto& b : p.blocks) all += pack::normalise(b.text) + "\n";
  std::size_t lines = 0, missing = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    auto nl = text.find('\n', at);
    std::string ln = text.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    at = nl == std::string::npos ? text.size() : nl + 1;
    // Bold runs ("**") are split into lines by the importer.
    std::size_t from = 0;
    for (;;) {
      auto m = ln.find("**", from);
      std::string part = pack::normalise(ln.substr(from, m == std::string::npos ? std::string::npos : m - from));
      for (const char* bullet : {"- ", "* ", "\xe2\x80\xa2 "})  // list items keep their text, not their bullet
        if (part.rfind(bullet, 0) == 0) part = part.substr(std::string_view(bullet).size());
      if (!part.empty() && part != "\xc2\xa0") {
        ++lines;
        if (all.find(part) == std::string::npos) {
          ++missing;
          MESSAGE("not kept: " << part);
        }
      }
      if (m == std::string::npos) break;
      from = m + 2;
    }
  }
  CHECK(lines > 600);
  CHECK(missing == 0);
  auto count = [&](const char* k) { return std::count_if(p.blocks.begin(), p.blocks.end(), [&](auto& b) { return b.kind == k; }); };
  CHECK(count("table_row") > 100);
  CHECK(count("list_item") > 20);
  CHECK(count("heading") > 50);
  CHECK(count("paragraph") > 150);
}

PACKS_TEST_CASE("pack import: the forward plan table of December 2020, with rows cut by page breaks joined") {
  auto p = december();
  REQUIRE(p.forward_plan.size() == 18);
  auto& first = p.forward_plan.front();
  CHECK(first.meeting_label == "14 January 2021 (Informal)");
  CHECK(first.meeting_date == "2021-01-14");
  CHECK(first.title == "Informal Budget Briefing");
  CHECK(first.raised_by == "Standing");
  CHECK(first.lead == "M Short M Eyre");
  CHECK(first.approach == "Agenda");
  CHECK(first.kloes.find("Knowledgeable scrutiny of the proposed 21/22 Dorset Police Precept.") != std::string::npos);
  CHECK(first.kloes.find("<ul") == std::string::npos);
  auto find = [&](const std::string& t) -> const pack::forward_row* {
    for (auto& r : p.forward_plan)
      if (r.title == t) return &r;
    return nullptr;
  };
  auto* uplift = find("VFM of the Uplift in additional Officers in the 2021 year.");
  REQUIRE(uplift);
  CHECK(uplift->notes.find("Neighbourhood Policing.") != std::string::npos);
  auto* road = find("Road Safety (Killed and Seriously) Injured on the Roads)");
  REQUIRE(road);
  CHECK(road->meeting_date == "2021-07-07");
  auto* da = find("Domestic Abuse");
  REQUIRE(da);
  CHECK(da->approach == "SSR");
  CHECK(da->meeting_date == "2021-12-09");
  CHECK(find("Meeting the new PCC 2021")->kloes.find("Budget development priorities.") != std::string::npos);
  CHECK(find("Informal budget briefing")->meeting_date == "2022-01");
  CHECK(p.forward_plan.back().meeting_label == "Tbc");
}

PACKS_TEST_CASE("pack import: the plan's pillars and priorities") {
  auto p = december();
  REQUIRE(p.priorities.size() == 4);
  CHECK(p.priorities[0].title == "Protecting People at Risk of Harm");
  CHECK(p.priorities[1].title == "Working with our Communities");
  CHECK(p.priorities[2].title == "Supporting Victims, Witnesses & Reducing Reoffending");
  CHECK(p.priorities[3].title == "Transforming for the Future");

  auto r = pack::parse_text(read_pack(test::july_2021_report));
  REQUIRE(r.ok());
  const char* six[] = {"Cut Crime and ASB", "Make Policing More Visible and Connected", "Fight Violent Crime and High Harm",
                       "Fight Rural Crime", "Put Victims and Communities First", "Make Every Penny Count"};
  REQUIRE(r->priorities.size() == 6);
  for (int i = 0; i < 6; ++i) {
    CHECK(r->priorities[static_cast<std::size_t>(i)].title == six[i]);
    CHECK(r->priorities[static_cast<std::size_t>(i)].number == i + 1);
  }
}

PACKS_TEST_CASE("pack import: a single report for a meeting (July 2021)") {
  auto r = pack::parse_text(read_pack(test::july_2021_report));
  REQUIRE(r.ok());
  CHECK(r->kind == "report");
  CHECK(r->meeting.date == "2021-07-07");
  CHECK(r->meeting.title == "Police and Crime Panel");
  REQUIRE(r->items.size() == 1);
  CHECK(r->items[0].title == "POLICE AND CRIME PLAN AND FIRST 100 DAYS UPDATE");
  CHECK(r->items[0].description.rfind("To present members with an update", 0) == 0);
  REQUIRE(r->documents.size() == 1);
  CHECK(r->documents[0].blocks == r->blocks.size());
  // Plain text with no page breaks or footers: no page numbers are made up.
  CHECK(r->pages == 0);
  CHECK_FALSE(r->pages_exact);
  CHECK(r->blocks.back().page == 0);
}

PACKS_TEST_CASE("pack import: a real document with no agenda is imported as a document, never refused") {
  auto m = pack::parse_text(read_pack(test::monitoring_2017));
  REQUIRE(m.ok());
  CHECK(m->kind == "document");
  REQUIRE(m->items.size() == 1);
  CHECK(m->documents.size() == 1);
  CHECK(m->blocks.size() > 200);
  CHECK(m->items[0].found.confidence < 0.5);
  CHECK_FALSE(m->warnings.empty());
  // ... but it can be added to a meeting as a supplement, every line kept.
  auto s = pack::parse_supplement(read_pack(test::monitoring_2017), "Monitoring report 2017/18 Q3");
  REQUIRE(s.ok());
  CHECK(s->kind == "supplement");
  CHECK(s->items[0].title == "Monitoring report 2017/18 Q3");
  CHECK(s->blocks.size() > 200);

  CHECK(pack::parse_text("").err().message == "the file is empty");
  CHECK(pack::parse_text(std::string("%PDF-1.4\0\x01\x02", 11)).err().message.find("not text") != std::string::npos);
  CHECK(pack::parse_text("Dear all,\n\nThe meeting is on Thursday.\n\nRegards\n")->kind == "document");
  // Only a file with no readable text at all is refused, saying why.
  pack::source scanned;
  scanned.pages.resize(3);
  auto none = pack::parse_source(scanned);
  REQUIRE_FALSE(none.ok());
  CHECK(none.err().message.find("no readable text") != std::string::npos);
  CHECK_FALSE(pack::parse_supplement("   \n\n").ok());
}

TEST_CASE("pack import: PDF text per page gives exact pages and papers start on their first page") {
  std::vector<std::string> pages = {
      "North Shire Police and Crime Panel\n\nDate: Wednesday, 7 July 2021\nTime: 2.30 pm\nVenue: Council Chamber\n\n"
      "Membership: (Quorum 3)\n\nAnn Lee (Chair), Bo Grant (Vice-Chair) and Cy Hale\n\nA G E N D A\n\nPage No.\n\n"
      "1 APOLOGIES\n\nTo receive any apologies for absence.\n\n2 MINUTES\n\n3 - 4\n\nTo confirm the minutes.\n\n"
      "3 PRECEPT REPORT\n\n5 - 6\n\nThe Treasurer's report.\n",
      "This page is intentionally left blank\n",
      "MINUTES OF THE MEETING HELD ON 3 FEBRUARY 2021\n\nPresent: everyone.\n",
      "The meeting ended at 4.10 pm.\n",
      "A report with no heading that matches its item.\n\nIt starts on page five.\n",
      "Recommendation: note the report.\n",
  };
  auto p = pack::parse_pages(pages);
  REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.err().message));
  CHECK(p->pages_exact);
  CHECK(p->pages == 6);
  CHECK(p->meeting.time == "14:30");
  CHECK(p->meeting.chair == "Ann Lee");
  CHECK(p->meeting.vice_chair == "Bo Grant");
  REQUIRE(p->items.size() == 3);
  REQUIRE(p->documents.size() == 2);
  auto& precept = p->documents[1];
  CHECK(p->blocks[precept.first_block].text == "A report with no heading that matches its item.");
  CHECK(p->blocks[precept.first_block].page == 5);
  CHECK(p->blocks.back().page == 6);
  // The same pages as one text with form feeds (pdftotext's output).
  std::string joined;
  for (auto& pg : pages) joined += pg + "\f";
  auto q = pack::parse_text(joined);
  REQUIRE(q.ok());
  CHECK(q->pages == 6);
  CHECK(q->fingerprint == p->fingerprint);
}

PACKS_TEST_CASE("pack import: December 2020 appendices are documents of their own") {
  auto p = december();
  std::vector<const pack::document*> apps;
  for (auto& d : p.documents)
    if (d.appendix) apps.push_back(&d);
  REQUIRE(apps.size() == 2);
  auto text_in = [&](const pack::document& d, const std::string& words) {
    for (std::size_t b = d.first_block; b < d.first_block + d.blocks; ++b)
      if (p.blocks[b].text.find(words) != std::string::npos) return true;
    return false;
  };
  // The minutes end with their appendix, the DCJB update table.
  auto& dcjb = *apps[0];
  CHECK(p.items[static_cast<std::size_t>(dcjb.item)].number == "2");
  CHECK(dcjb.title == "Appendix to Minutes - DCJB Update");
  CHECK(p.blocks[dcjb.first_block].text == dcjb.title);
  CHECK(text_in(dcjb, "PROTECTING PEOPLE AT RISK OF HARM\tVulnerability and Violence Reduction"));
  const auto* minutes = doc_of(p, "2");
  REQUIRE(minutes);
  CHECK_FALSE(minutes->appendix);
  CHECK(minutes->first_block + minutes->blocks == dcjb.first_block);
  CHECK(text_in(*minutes, "There was no exempt business."));
  // The health and wellbeing report's Appendix A: its two headings start one document.
  auto& wellbeing = *apps[1];
  CHECK(p.items[static_cast<std::size_t>(wellbeing.item)].number == "8");
  CHECK(wellbeing.title == "Appendix A \xe2\x80\x93 Health and Wellbeing Initiatives");
  CHECK(text_in(wellbeing, "APPENDIX A \xe2\x80\x93 WELLBEING ACTIVITY"));
  CHECK(text_in(wellbeing, "10\tWellbeing member of Staff in Dorset"));
  const auto* report = doc_of(p, "8");
  REQUIRE(report);
  CHECK(report->first_block + report->blocks == wellbeing.first_block);
  CHECK(text_in(*report, "1.3 Since that announcement"));  // "detailed further at Appendix A." stays in the report
  CHECK(wellbeing.first_page >= report->first_page);
  CHECK(wellbeing.last_page == p.items[static_cast<std::size_t>(wellbeing.item)].last_page);
  for (auto* d : apps)
    for (std::size_t b = d->first_block; b < d->first_block + d->blocks; ++b) CHECK(p.blocks[b].item == d->item);
  std::string j = pack::preview_json(p);
  CHECK(j.find("{\"item\": \"2\", \"title\": \"Appendix to Minutes - DCJB Update\"") != std::string::npos);
}

PACKS_TEST_CASE("pack import: preview JSON lists the meeting and the items") {
  auto p = december();
  std::string j = pack::preview_json(p);
  CHECK(j.find("\"date\": \"2020-12-10\"") != std::string::npos);
  CHECK(j.find("{\"number\": \"11\", \"title\": \"FORWARD PLAN\", \"pages\": \"39 - 48\"") != std::string::npos);
  CHECK(j.find("\"exempt\": true") != std::string::npos);
  // Evidence and confidence for what was read; the minutes cite no recording times, so no answers.
  CHECK(j.find("\"evidence\": {\"date\": {\"page\": 0, \"line\": 7, \"confidence\": 0.95}") != std::string::npos);
  CHECK(j.find("\"outline_used\": false") != std::string::npos);
  CHECK(j.find("\"answers\": []") != std::string::npos);
}

TEST_CASE("pack import: dates, times and words") {
  CHECK(pack::parse_date("Thursday, 10 December 2020") == "2020-12-10");
  CHECK(pack::parse_date("4 February 21 – Formal (Q3)") == "2021-02-04");
  CHECK(pack::parse_date("POLICE AND CRIME PANEL – 7 July 2021") == "2021-07-07");
  CHECK(pack::parse_date("no date here 2021").empty());
  CHECK(pack::count_words("  one two\tthree\nfour ") == 4);
  CHECK(pack::normalise("  a \t b\n\nc ") == "a b c");
}

PACKS_TEST_CASE("pack import: the December 2020 minutes cite no recording times, so they record no answers") {
  // Five paragraphs of the September minutes respond to members' questions,
  // but an answer needs its meeting and a recording time or a written
  // response: none is invented.
  CHECK(december().answers.empty());
  CHECK(pack::parse_text(read_pack(test::july_2021_report))->answers.empty());
}

TEST_CASE("pack import: recording times and a questions-and-answers appendix (the demo's sample pack)") {
  auto p = pack::parse_text(demo::sample_pack());
  REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.err().message));
  CHECK(p->kind == "agenda_pack");
  CHECK(p->meeting.date == "2026-12-10");
  CHECK(p->meeting.chair == "Cllr Alex Morgan");
  CHECK(p->meeting.vice_chair == "Cllr Priya Shah");
  CHECK(p->meeting.members ==
        std::vector<std::string>{"Cllr Alex Morgan", "Cllr Priya Shah", "Cllr Tom Rees", "Cllr Jo Bennett", "Sam Okafor"});
  CHECK(p->meeting.independent_members == std::vector<std::string>{"Sam Okafor"});
  REQUIRE(p->items.size() == 8);
  CHECK(p->items[4].pages == "9 - 24");
  CHECK(p->priorities.size() == 4);
  CHECK(p->forward_plan.size() == 2);
  REQUIRE(p->answers.size() == 4);
  for (auto& a : p->answers) CHECK(a.meeting_date == "2026-09-10");
  // Minutes: "The Commissioner introduced the report (00:12:40 on recording)." answers nothing.
  CHECK(p->answers[0].recording_time == "00:31:15");
  CHECK(p->answers[0].text ==
        "In response to a question on 101 call waiting times, the Commissioner said that the average wait had fallen to "
        "four minutes since the new call-back service began in July.");
  CHECK(p->answers[1].recording_time == "00:44:02");
  // The appendix: numbered questions, their leads, a response at a recording time and one in writing.
  CHECK(p->answers[2].number == "1");
  CHECK(p->answers[2].lead == "Priority One (Tom)");
  CHECK(p->answers[2].question ==
        "How many neighbourhood officers were moved to response duties in the quarter, and when will they return?");
  CHECK(p->answers[2].recording_time == "01:05:10");
  CHECK(p->answers[2].text ==
        "Eleven officers were moved for six weeks over the summer; all had returned to their neighbourhoods by 1 September.");
  CHECK(p->answers[3].number == "2");
  CHECK(p->answers[3].lead == "Vice-Chair");
  CHECK(p->answers[3].written);
  CHECK(p->answers[3].recording_time.empty());
  CHECK(p->answers[3].text == "The forecast overspend on overtime is £410,000, to be met from the operational reserve.");
}
