// Exports of the consolidated list (see export.hpp). Sections keep the order
// in which they first appear in the list; numbering runs through the list.
#include "packline/panel/export.hpp"

#include <map>
#include <vector>

#include "packline/panel/workflow.hpp"

namespace packline::exporter {
namespace {

struct entry {
  std::int64_t number;
  std::string lead, target, body;
};
struct section {
  std::string name;
  std::vector<entry> entries;
};
struct sheet {
  std::string heading, subheading;
  std::vector<section> sections;
};

std::string long_date(const std::string& iso) {
  static const char* months[] = {"January", "February", "March",     "April",   "May",      "June",
                                 "July",    "August",   "September", "October", "November", "December"};
  int y, m, d;
  if (std::sscanf(iso.c_str(), "%d-%d-%d", &y, &m, &d) != 3 || m < 1 || m > 12) return iso;
  return std::to_string(d) + " " + months[m - 1] + " " + std::to_string(y);
}

// "In quarter" → "In quarter questions"; names that already say it stay.
std::string section_title(const std::string& s) {
  if (s.empty()) return "Questions";
  std::string l;
  for (char c : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l.find("question") != std::string::npos || l.find("report") != std::string::npos) return s;
  return s + " questions";
}

result<sheet> build(replica& r, const std::string& meeting_id) {
  auto m = workflow::meeting_by_id(r, meeting_id);
  if (!m) return m.err();
  auto list = workflow::consolidated_list(r, meeting_id);
  if (!list) return list.err();
  auto ms = workflow::members(r);
  if (!ms) return ms.err();
  auto ps = workflow::priorities(r);
  if (!ps) return ps.err();
  std::map<std::string, std::string> member_name, priority_name;
  for (auto& x : *ms) member_name[x.id] = x.name;
  static const char* words[] = {"One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten"};
  for (auto& p : *ps)
    priority_name[p.id] = p.number >= 1 && p.number <= 10 ? std::string("Priority ") + words[p.number - 1] : p.title;
  sheet s;
  std::string body = m->body.empty() ? m->title : m->body;
  s.heading = body + (m->date.empty() ? "" : " – " + long_date(m->date));
  s.subheading = "Questions to the Police and Crime Commissioner";
  for (auto& c : *list) {
    std::string lead = c.lead_label;
    if (lead.empty()) {
      std::string who = member_name.count(c.lead) ? member_name[c.lead] : "";
      std::string pri = priority_name.count(c.priority) ? priority_name[c.priority] : "";
      lead = pri.empty() ? who : who.empty() ? pri : pri + " (" + who + ")";
    }
    std::string name = section_title(c.section);
    section* sec = nullptr;
    for (auto& x : s.sections)
      if (x.name == name) sec = &x;
    if (!sec) {
      s.sections.push_back({name, {}});
      sec = &s.sections.back();
    }
    sec->entries.push_back({c.number, lead, c.target, c.body});
  }
  return s;
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\n': o += "<br>"; break;
      default: o += c;
    }
  }
  return o;
}

}  // namespace

result<std::string> markdown(replica& r, const std::string& meeting_id) {
  auto s = build(r, meeting_id);
  if (!s) return s.err();
  std::string o = "# " + s->heading + "\n\n## " + s->subheading + "\n";
  if (s->sections.empty()) o += "\nNo questions have been consolidated yet.\n";
  for (auto& sec : s->sections) {
    o += "\n### " + sec.name + "\n";
    for (auto& e : sec.entries) {
      o += "\n**" + std::to_string(e.number) + ". Question Lead – " + (e.lead.empty() ? "to be assigned" : e.lead) + "**";
      if (!e.target.empty() && e.target != "PCC") o += " (to the " + e.target + ")";
      o += "\n\n" + e.body + "\n";
    }
  }
  return o;
}

result<std::string> html(replica& r, const std::string& meeting_id) {
  auto s = build(r, meeting_id);
  if (!s) return s.err();
  std::string o =
      "<!doctype html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + html_escape(s->heading) +
      "</title>\n<style>\n"
      "body { font: 12pt/1.45 Arial, Helvetica, sans-serif; max-width: 46em; margin: 2em auto; color: #000; }\n"
      "h1 { font-size: 16pt; } h2 { font-size: 14pt; } h3 { font-size: 12.5pt; border-bottom: 1px solid #888; }\n"
      "ol { padding-left: 1.6em; } li { margin: 0 0 1em; break-inside: avoid; }\n"
      ".lead { font-weight: bold; display: block; }\n"
      "@page { size: A4; margin: 2cm; } @media print { body { margin: 0; } }\n"
      "</style>\n</head>\n<body>\n<h1>" +
      html_escape(s->heading) + "</h1>\n<h2>" + html_escape(s->subheading) + "</h2>\n";
  if (s->sections.empty()) o += "<p>No questions have been consolidated yet.</p>\n";
  for (auto& sec : s->sections) {
    o += "<h3>" + html_escape(sec.name) + "</h3>\n<ol start=\"" +
         std::to_string(sec.entries.empty() ? 1 : sec.entries.front().number) + "\">\n";
    for (auto& e : sec.entries) {
      o += "<li><span class=\"lead\">Question Lead – " + html_escape(e.lead.empty() ? "to be assigned" : e.lead) + "</span>";
      if (!e.target.empty() && e.target != "PCC") o += "<em>To the " + html_escape(e.target) + "</em><br>";
      o += html_escape(e.body) + "</li>\n";
    }
    o += "</ol>\n";
  }
  o += "</body>\n</html>\n";
  return o;
}

}  // namespace packline::exporter
