// Pack import on the real packs of ../shared/packs (skipped, by name, when
// they are absent): meeting, the 13 items of December 2020 with titles and
// page ranges, documents, pages, blocks, the forward plan, plan priorities;
// what is not an agenda is still imported as a document.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "packline/wire/codec.hpp"
#include "packline/panel/demo.hpp"
#include "packline/panel/pack_import.hpp"
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

// ---- the team's corpus: agendas in the shapes councils publish ----------------

namespace {

pack::parsed corpus(const std::string& name) {
  std::ifstream f(std::string(PACKLINE_CORPUS_DIR) + "/" + name + ".txt", std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "corpus file " << name);
  std::stringstream ss;
  ss << f.rdbuf();
  auto p = pack::parse_text(ss.str());
  REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.err().message));
  return std::move(*p);
}

std::string item_line(const pack::item& it) {
  return it.number + "|" + it.title + "|" + (it.pages.empty() ? it.note : it.pages) + (it.exempt ? "|exempt" : "") +
         (it.parent.empty() ? "" : "|of " + it.parent);
}

std::vector<std::string> item_lines(const pack::parsed& p) {
  std::vector<std::string> out;
  for (auto& it : p.items) out.push_back(item_line(it));
  return out;
}

}  // namespace

TEST_CASE("pack import: front sheets with labels on one line, on several, or all on one line") {
  auto a = corpus("p02-one-line-labels");
  CHECK(a.meeting.body == "Overview and Scrutiny Committee");  // the committee, not the council above it
  CHECK(a.meeting.date == "2019-03-05");
  CHECK(a.meeting.time == "14:30");
  CHECK(a.meeting.venue == "Committee Room 2, Civic Centre, Northfold");
  CHECK(a.meeting.chair == "Councillor Hugh Ingram");
  CHECK(a.meeting.members.size() == 5);
  auto b = corpus("p03-values-below-table");
  CHECK(b.meeting.date == "2024-06-12");
  CHECK(b.meeting.time == "10:00");
  CHECK(b.meeting.venue == "Board Room, Eastvale House, Eastvale");
  CHECK(b.meeting.members == std::vector<std::string>{"Councillor Mo Nash", "Councillor Nia Oakes", "Councillor Ola Pryce",
                                                      "Councillor Pat Quill"});  // a table: parties are not members
  CHECK(b.meeting.vice_chair == "Councillor Nia Oakes");
  CHECK(b.meeting.quorum == 3);  // "Three members"
  auto c = corpus("p09-roman-date-and-time");
  CHECK(c.meeting.date == "2013-10-03");
  CHECK(c.meeting.time == "10:30");
  CHECK(c.meeting.venue == "Fire Service Headquarters, Kingsbarrow");
  CHECK(c.meeting.chair == "Councillor Tom Ulrich");  // "Councillor X - Chairman"
  auto d = corpus("p05-brackets-quorum-sentence");
  CHECK(d.meeting.chair == "Sam Tovey");  // "Sam Tovey (Con), Chair"
  CHECK(d.meeting.vice_chair == "Tia Upton");
  CHECK(d.meeting.quorum == 3);  // "The quorum for this meeting is three members."
  CHECK(d.meeting.time == "14:00");
  auto e = corpus("p08-sub-items-two-vice-chairs");
  CHECK(e.meeting.vice_chairs == std::vector<std::string>{"Councillor Meg North", "Councillor Ned Orme"});
  CHECK(corpus("p04-item-word-notes").meeting.time == "18:00");  // "6pm"
  CHECK(corpus("p15-sub-brackets-quorum-dash").meeting.quorum == 4);  // "Quorum – 4 members"
  // Evidence: where each field was read, with a confidence.
  auto found = [&](const pack::parsed& p, const char* f) {
    for (auto& x : p.meeting.found)
      if (x.first == f) return x.second;
    return pack::evidence{};
  };
  CHECK(found(a, "date").line == 4);
  CHECK(found(a, "date").confidence >= 0.9);
}

TEST_CASE("pack import: agenda items numbered in every way, with page ranges wherever they are printed") {
  CHECK(item_lines(corpus("p04-item-word-notes")) ==
        std::vector<std::string>{"1|Welcome and Apologies|", "2|Minutes of the last meeting|3 - 9", "3|Commissioner's Update|Verbal Report",
                                 "4|Police and Crime Plan Refresh|To Follow", "5|Complaints Sub-Committee Report|10 - 14",
                                 "6|Any Other Business|"});
  CHECK(item_lines(corpus("p05-brackets-quorum-sentence"))[3] == "4|School Places Planning 2013 - 2018|7 - 20");
  auto minutes = corpus("p06-minute-numbers");
  CHECK(item_lines(minutes)[1] == "40/20|Minutes|5 - 10");
  CHECK(minutes.items[1].minute == "40/20");
  CHECK(item_lines(minutes)[5] == "44/20|Fraud Investigation Update (Exempt)|32 - 36|exempt");
  CHECK(item_lines(corpus("p07-pcp-minute-style"))[2] == "PCP 36.12/13|Commissioner's Annual Report 2012/13|11 - 26");
  CHECK(item_lines(corpus("p08-sub-items-two-vice-chairs")) ==
        std::vector<std::string>{"1|Apologies|", "2|Declarations of Interest|", "3|Minutes of the previous meeting|3 - 10",
                                 "4|Winter Pressures|", "4.1|Hospital Discharge Update|11 - 18|of 4",
                                 "4.2|Adult Social Care Capacity|19 - 24|of 4", "5|Public Health Annual Report|",
                                 "5(a)|Smoking Cessation|25 - 30|of 5", "5(b)|Healthy Weight|To Follow|of 5",
                                 "6|Forward Work Programme|31 - 34"});
  CHECK(item_lines(corpus("p09-roman-date-and-time"))[3] == "iv|Station Review Consultation|17 - 32");
  CHECK(item_lines(corpus("p15-sub-brackets-quorum-dash"))[3] == "3(1)|Flood Defence Works|7 - 10|of 3");
  CHECK(item_lines(corpus("p12-unnumbered-leaders")) ==
        std::vector<std::string>{"|Apologies|", "|Declarations of Interest|", "|Minutes of the last meeting|3",
                                 "|Fire and Rescue Plan Progress|7", "|Budget and Precept Proposals|15"});
  // Titles never carry the page range, whether a tab or spaces glue it on.
  CHECK(item_lines(corpus("p16-glued-ranges")) ==
        std::vector<std::string>{"1|APOLOGIES|", "2|MINUTES|5 - 26", "3|DECLARATIONS OF INTEREST|",
                                 "4|COMMISSIONER'S ANNUAL REPORT 2023/24|27 - 38", "5|FORWARD PLAN|39 - 42"});
  CHECK(item_lines(corpus("p03-values-below-table"))[3] == "4|Bus Service Improvement Plan|9 - 22");
}

TEST_CASE("pack import: private or exempt parts before or after the public ones") {
  auto after = item_lines(corpus("p10-exempt-part-after"));
  CHECK(after[3] == "4|Proposed Precept 2023/24|13 - 40");
  CHECK(after[5] == "6|Complaint against the Commissioner|41 - 46|exempt");
  CHECK(after[6] == "7|Chief Constable Appointment|47 - 52|exempt");
  auto before = item_lines(corpus("p11-private-part-first"));
  CHECK(before == std::vector<std::string>{"1|Contract Award: Leisure Centres|1 - 8|exempt", "2|Land Disposal at Mill Lane|9 - 12|exempt",
                                           "3|Call-in: Library Opening Hours|13 - 26", "4|Date of Next Meeting|"});
}

TEST_CASE("pack import: precision before recall — nothing is invented") {
  // A letter: no agenda, no meeting, no members; still a document.
  auto letter = corpus("p13-no-agenda-letter");
  CHECK(letter.kind == "document");
  CHECK(letter.meeting.members.empty());
  CHECK(letter.priorities.empty());
  // Budget tables with "This period / Last period" headings outside a plan, and
  // minutes that answer with no recording time: no priorities, no answers.
  std::string text =
      "Fernbrook Police and Crime Panel\n\nDate: 3 March 2022\n\nAGENDA\n\n1 MINUTES\n\n3 - 4\n\n2 BUDGET MONITORING\n\n5 - 6\n\n\n"
      "MINUTES OF THE MEETING HELD ON 2 DECEMBER 2021\n\nIn response to a question, the Commissioner said the review would "
      "finish in spring.\n\nBUDGET MONITORING\n\nHeading\tThis Period\tLast Period\nEMPLOYEE COSTS\nOVERTIME PAY\n\n"
      "Priority areas of spending are:\n- Officers\n- Estates\n";
  auto p = pack::parse_text(text);
  REQUIRE(p.ok());
  CHECK(p->items.size() == 2);
  CHECK(p->priorities.empty());
  CHECK(p->answers.empty());
  // Explicit "Priority N" headings are priorities.
  auto plan = corpus("p17-paged-papers");
  REQUIRE(plan.priorities.size() == 3);
  CHECK(plan.priorities[2].number == 3);
  CHECK(plan.priorities[2].title == "Tackling Rural Crime");
}

TEST_CASE("pack import: recording times in every form, with the minutes' meeting") {
  auto p = corpus("p17-paged-papers");
  // "(00.35.11 on the recording)" and "(20:25 on recording)" (minutes and seconds);
  // "In response to questions ..." with no time is no answer.
  REQUIRE(p.answers.size() == 2);
  CHECK(p.answers[0].recording_time == "00:35:11");
  CHECK(p.answers[1].recording_time == "00:20:25");
  for (auto& a : p.answers) CHECK(a.meeting_date == "2024-02-01");
  auto s = pack::parse_supplement(
      "MINUTES OF THE MEETING HELD ON 4 MAY 2023\n\nIn response to a question, the Chief Constable said more (01:52.00 on the "
      "recording).\n\nA member asked a question on drones; the answer came later (1:20:24 on recording).\n",
      "Minutes");
  REQUIRE(s.ok());
  // Minutes imported into an existing meeting: "(01:52.00 ...)" and "(1:20:24 ...)".
  REQUIRE(s->answers.size() == 2);
  CHECK(s->answers[0].recording_time == "01:52:00");
  CHECK(s->answers[1].recording_time == "01:20:24");
  CHECK(s->answers[0].meeting_date == "2023-05-04");
}

TEST_CASE("pack import: a text pack has pages only where it marks them; papers start at their paper; bullets once") {
  auto p = corpus("p01-labels-paragraph-membership");
  CHECK(p.pages == 30);  // from the agenda's printed ranges
  CHECK_FALSE(p.pages_exact);
  REQUIRE(p.documents.size() == 2);
  for (auto& b : p.blocks) {
    CAPTURE(b.text);
    bool starts_doc = std::any_of(p.documents.begin(), p.documents.end(),
                                  [&](const pack::document& d) { return &p.blocks[d.first_block] == &b; });
    CHECK(b.page == (starts_doc ? p.items[static_cast<std::size_t>(b.item)].first_page : 0));
  }
  // The precept item's papers start at its paper, not at its agenda line.
  auto& precept = p.documents[1];
  CHECK(p.blocks[precept.first_block].text == "PROPOSED PRECEPT 2021/22");
  for (auto& b : p.blocks)
    if (b.text.rfind("To review the Commissioner", 0) == 0) CHECK(b.item == -1);
  auto bullets = pack::parse_text("Notes\n\n- one\n\xe2\x80\xa2 two\n* three\n");
  REQUIRE(bullets.ok());
  for (auto& b : bullets->blocks)
    if (b.kind == "list_item") CHECK((b.text == "one" || b.text == "two" || b.text == "three"));
}

TEST_CASE("pack import: runs from any PDF reader become the same lines; the outline and page labels place papers") {
  std::vector<pack::text_run> runs = {
      {"Item", 56, 100, 20, 10, false}, {"Pages", 300, 100.4, 30, 10, false}, {"2", 56, 114, 6, 10, false},
      {"Minutes", 70, 114, 40, 10, false}, {"5 - 14", 300, 114, 30, 10, false}, {"Budget", 56, 160, 40, 13, true},
  };
  auto lines = pack::lines_of_runs(runs);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].text == "Item\tPages");
  CHECK(lines[1].text == "2 Minutes\t5 - 14");
  CHECK(lines[2].text.empty());  // a wide gap is a paragraph break
  CHECK(lines[3].text == "Budget");
  CHECK(lines[3].size == 13);

  // Printed pages 1-2 are physical pages 3-4 (two cover pages labelled i, ii).
  pack::source s;
  auto page = [&](std::vector<std::string> ls, std::string label) {
    pack::source_page pg;
    for (auto& l : ls) pg.lines.push_back({l, 10});
    pg.label = std::move(label);
    s.pages.push_back(std::move(pg));
  };
  page({"Ashvale Scrutiny Panel", "Date: 2 June 2025", "AGENDA", "1 MINUTES\t1 - 1", "2 HOUSING REPORT\t2 - 2"}, "i");
  page({"Intentionally blank"}, "ii");
  page({"MINUTES OF THE LAST MEETING", "Everyone agreed."}, "1");
  page({"A paper whose heading does not say what it is."}, "2");
  auto p = pack::parse_source(s);
  REQUIRE(p.ok());
  CHECK(p->page_labels_used);
  REQUIRE(p->documents.size() == 2);
  CHECK(p->blocks[p->documents[1].first_block].text == "A paper whose heading does not say what it is.");
  // The outline alone gives the items of a document whose text lists none.
  pack::source o;
  for (const char* t : {"Ashvale Scrutiny Panel", "Housing allocations", "Damp and mould"}) {
    pack::source_page pg;
    pg.lines.push_back({t, 10});
    o.pages.push_back(pg);
  }
  o.outline = {{"Housing allocations", 2, 0}, {"Damp and mould", 3, 0}};
  auto q = pack::parse_source(o);
  REQUIRE(q.ok());
  CHECK(q->outline_used);
  CHECK(item_lines(*q) == std::vector<std::string>{"|Housing allocations|2", "|Damp and mould|3"});
}

TEST_CASE("pack import: a structured pack crosses from the import worker to the core unchanged; damaged bytes are refused") {
  for (const char* name : {"p06-minute-numbers", "p08-sub-items-two-vice-chairs", "p10-exempt-part-after", "p17-paged-papers"}) {
    auto p = corpus(name);
    bytes enc = codec::encode_parsed(p);
    auto back = codec::decode_parsed(enc);
    REQUIRE_MESSAGE(back.ok(), name << ": " << back.err().message);
    CHECK_MESSAGE(pack::preview_json(*back) == pack::preview_json(p), name);
    REQUIRE(back->blocks.size() == p.blocks.size());
    for (std::size_t i = 0; i < p.blocks.size(); ++i) {
      CHECK(back->blocks[i].text == p.blocks[i].text);
      CHECK(back->blocks[i].item == p.blocks[i].item);
      CHECK(back->blocks[i].page == p.blocks[i].page);
    }
    CHECK(codec::encode_parsed(*back) == enc);
    bytes cut(enc.begin(), enc.begin() + static_cast<long>(enc.size() / 2));
    CHECK(!codec::decode_parsed(cut).ok());
  }
  // A block naming an item that is not there.
  auto p = corpus("p06-minute-numbers");
  p.blocks.front().item = 99;
  CHECK(codec::decode_parsed(codec::encode_parsed(p)).err().message == "malformed structured pack: block item");
}
