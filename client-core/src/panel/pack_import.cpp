// Pack import: the shapes of the panel's published documents: a front sheet
// (Date:, Time:, Venue:, Membership:), the agenda (numbered items, page
// ranges, a purpose line), then the minutes and reports in agenda order. Text
// converted from PDF is imperfect (footers in the middle of a page,
// paragraphs cut at page breaks, tables as tab rows), so every step is a
// heuristic with a fallback that keeps the text as blocks. This file: lines
// and blocks, the whole parse, and the public entry points.
#include "packline/panel/pack_import.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>

#include "packline/crypto/crypto.hpp"
#include "panel/pack_text.hpp"

namespace packline::pack {

namespace {

using namespace detail;

// ---- lines and blocks -----------------------------------------------------

// The neutral form's lines, numbered per page (per file when unpaged).
// Converters glue bold runs into one line: "A**B**C" is three lines.
std::vector<line> split_lines(const source& src) {
  std::vector<line> out;
  // The body text's size: the size most lines are printed in.
  std::map<long, std::size_t> sizes;
  for (const auto& pg : src.pages)
    for (const auto& tl : pg.lines)
      if (tl.size > 0 && !tl.text.empty()) ++sizes[std::lround(tl.size * 2)];
  double body = 0;
  std::size_t most = 0;
  for (auto [sz, n] : sizes)
    if (n > most) most = n, body = sz / 2.0;
  int no = 0;
  for (std::size_t p = 0; p < src.pages.size(); ++p) {
    int page = src.paged ? static_cast<int>(p) + 1 : 0;
    if (src.paged) no = 0;
    for (const auto& tl : src.pages[p].lines) {
      ++no;
      const std::string& s = tl.text;
      if (s.find("**") != std::string::npos) {
        std::size_t from = 0;
        for (;;) {
          auto m = s.find("**", from);
          std::string part = std::string(trim(std::string_view(s).substr(from, m == std::string::npos ? std::string::npos : m - from)));
          if (!part.empty()) out.push_back({part, page, no, tl.size, true});
          if (m == std::string::npos) break;
          from = m + 2;
        }
        out.push_back({"", page, no});
      } else {
        std::string t = s;
        if (!t.empty() && t.back() == '\r') t.pop_back();
        out.push_back({std::move(t), page, no, tl.size, tl.size > 0 && body > 0 && tl.size >= body * 1.15});
      }
    }
    out.push_back({"", page, no});
  }
  return out;
}

bool is_list_item(std::string_view s) {
  s = trim(s);
  if (s.size() < 2) return false;
  if ((s[0] == '-' || s[0] == '*') && s[1] == ' ') return true;
  return s.size() >= 3 && static_cast<unsigned char>(s[0]) == 0xe2 && static_cast<unsigned char>(s[1]) == 0x80 &&
         static_cast<unsigned char>(s[2]) == 0xa2;  // •
}

bool is_heading(std::string_view s) {
  s = trim(s);
  if (s.empty() || s.size() > 100 || s.find('\t') != std::string_view::npos) return false;
  // "Priority 2: Supporting Victims".
  if (starts_with_ci(s, "priority ") && s.size() > 10 && is_digit(s[9]) && s.size() < 90 && s.back() != '.') return true;
  double up = upper_ratio(s);
  if (up >= 0.8) return true;
  // "1. BACKGROUND", "5. Update on Covid 19 - Verbal" (numbered, short, no full stop).
  std::size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i > 0 && i < s.size() && s[i] == ' ' && s.size() < 70 && s.back() != '.' && s.back() != ';' && s.back() != ',' &&
      std::isupper(static_cast<unsigned char>(s[i + 1])))
    return true;
  return false;
}

std::string kind_of(std::string_view s) {
  if (is_page_marker(s)) return "page_marker";
  if (s.find('\t') != std::string_view::npos && !trim(s).empty()) return "table_row";
  if (is_list_item(s)) return "list_item";
  if (is_heading(s)) return "heading";
  return "paragraph";
}

// "Date: ...", "Venue: ...": a short capitalised label and a colon.
bool starts_label(std::string_view t) {
  auto c = t.find(':');
  if (c == std::string_view::npos || c == 0 || c > 25 || !std::isupper(static_cast<unsigned char>(t[0]))) return false;
  for (std::size_t i = 0; i < c; ++i)
    if (!std::isalpha(static_cast<unsigned char>(t[i])) && t[i] != ' ' && t[i] != '\'') return false;
  return true;
}

bool ends_sentence(std::string_view t) {
  // "6." before a bold title is a number, not the end of a sentence.
  if (t.empty() || std::none_of(t.begin(), t.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }))
    return false;
  char c = t.back();
  if (c == '"' || c == ')' || static_cast<unsigned char>(c) == 0x9d) {  // closing quote or bracket
    t.remove_suffix(1);
    while (!t.empty() && (static_cast<unsigned char>(t.back()) & 0xc0) == 0x80) t.remove_suffix(1);
    if (!t.empty() && (static_cast<unsigned char>(t.back()) & 0xc0) == 0xc0) t.remove_suffix(1);
    if (t.empty()) return false;
    c = t.back();
  }
  return c == '.' || c == '?' || c == '!' || c == ':' || c == ';';
}

// The text of a list item without its bullet ("- ", "* ", "• "): the reader draws its own.
std::string without_bullet(std::string_view t) {
  std::size_t n = static_cast<unsigned char>(t[0]) == 0xe2 ? 3 : 1;
  return std::string(trim(t.substr(n)));
}

// Runs of non-empty lines become paragraphs; headings, list items, table rows
// and page footers stand alone. Returns blocks with the page of their first
// line, and (in `first_line`) the index of that line.
std::vector<block> make_blocks(const std::vector<line>& lines, std::vector<std::size_t>& first_line) {
  std::vector<block> out;
  bool open = false;
  for (std::size_t li = 0; li < lines.size(); ++li) {
    const auto& l = lines[li];
    std::string_view t = trim(l.text);
    if (t.empty()) {
      open = false;
      continue;
    }
    std::string k = kind_of(l.text);
    if (k == "paragraph" && l.strong && l.size > 0 && t.size() < 100 && !ends_sentence(t)) k = "heading";  // PDF headings
    std::string text = k == "table_row" ? std::string(l.text) : k == "list_item" ? without_bullet(t) : std::string(t);
    if (k == "table_row") {
      while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
    }
    // Wrapped lines of one paragraph join; a line that ends a sentence, a
    // "Label: value" line and a bare page range ("5 - 14") end it (PDF text
    // has no blank lines between paragraphs).
    int a = 0, b = 0;
    bool alone = starts_label(t) || parse_range(t, a, b);
    if (k == "paragraph" && open && out.back().kind == "paragraph" && !alone && out.back().page == l.page) {
      out.back().text += " ";
      out.back().text += t;
      open = !ends_sentence(t);
      continue;
    }
    out.push_back(block{k, std::move(text), l.page, -1});
    first_line.push_back(li);
    open = k == "paragraph" && !alone && !ends_sentence(t);
  }
  return out;
}

// ---- whole documents ------------------------------------------------------

// One item for the whole text: a single report, a supplement, or a document
// in which no agenda was recognised (the clerk structures it in the app).
void whole_document(parsed& p, const std::string& title, double confidence) {
  item it;
  it.number = "1";
  it.title = title;
  int n = p.pages_exact ? p.pages : 0;
  it.first_page = n ? 1 : 0;
  it.last_page = n;
  it.pages = n == 0 ? std::string{} : n == 1 ? "1" : "1 - " + std::to_string(n);
  it.document = title;
  it.found = evidence{p.blocks.empty() ? 0 : p.blocks.front().page, 1, confidence};
  p.items.push_back(it);
  for (auto& b : p.blocks) b.item = 0;
  p.documents.push_back(document{0, title, it.first_page, it.last_page, 0, p.blocks.size()});
}

std::size_t readable(const source& src) {
  std::size_t n = 0;
  for (const auto& pg : src.pages)
    for (const auto& l : pg.lines)
      for (char c : l.text) n += std::isalnum(static_cast<unsigned char>(c)) ? 1 : 0;
  return n;
}

// Lines, blocks and fingerprint of any source.
parsed base_parse(const source& src, std::vector<line>& lines, std::vector<std::size_t>& first_line) {
  parsed p;
  p.pages_exact = src.paged;
  p.pages = src.paged ? static_cast<int>(src.pages.size()) : 0;
  lines = split_lines(src);
  p.blocks = make_blocks(lines, first_line);
  std::string all;
  for (const auto& pg : src.pages)
    for (const auto& l : pg.lines) {
      all += l.text;
      all += '\n';
    }
  p.fingerprint = text_hash(all);
  return p;
}

constexpr const char* no_text =
    "the file has no readable text (a scanned PDF holds only pictures of its pages): ask for the PDF the committee system "
    "published, or a text copy";

result<parsed> parse_core(const source& src, const progress_fn& progress) {
  if (readable(src) == 0) return make_error(errc::invalid_argument, no_text);
  if (progress) progress("parse", 0, 3);
  std::vector<line> lines;
  std::vector<std::size_t> first_line;
  parsed p = base_parse(src, lines, first_line);
  auto& bs = p.blocks;
  auto& m = p.meeting;
  std::size_t agenda_end_line = read_agenda(p, lines);
  // One report for a meeting: "POLICE AND CRIME PANEL – 7 July 2021" on top,
  // and numbered sections but no agenda heading.
  std::size_t banner = bs.size();
  for (std::size_t i = 0; i < bs.size() && i < 6; ++i)
    if (is_banner(bs[i].text) && !parse_date(bs[i].text).empty()) {
      banner = i;
      break;
    }
  bool agenda_heading = std::any_of(m.found.begin(), m.found.end(), [](const auto& f) { return f.first == "agenda"; });
  if (banner < bs.size() && !agenda_heading) p.items.clear();
  std::vector<int> starts = paper_pages(p, src);
  if (progress) progress("parse", 1, 3);
  if (!p.items.empty()) {
    p.kind = "agenda_pack";
    m.title = m.body;
    std::size_t agenda_end = static_cast<std::size_t>(
        std::lower_bound(first_line.begin(), first_line.end(), agenda_end_line) - first_line.begin());
    find_documents(p, agenda_end, starts);
    if (progress) progress("parse", 2, 3);
    if (!src.paged) mark_pages(p);
    split_appendices(p);
  } else {
    if (banner < bs.size()) {
      p.kind = "report";
      std::string head(trim(bs[banner].text));
      m.date = parse_date(head);
      auto dash = head.find("\xe2\x80\x93");
      if (dash == std::string::npos) dash = head.find(" - ");
      m.body = m.title = title_case(normalise(head.substr(0, dash)));
      m.found.clear();
      m.found.push_back({"date", evidence{bs[banner].page, static_cast<int>(lines[first_line[banner]].no), 0.85}});
      whole_document(p, first_heading_title(bs, banner + 1, bs.size(), "Report"), 0.8);
      for (std::size_t j = banner + 1; j < bs.size() && j < banner + 9; ++j) {
        if (!contains_ci(bs[j].text, "purpose of")) continue;
        for (std::size_t k = j + 1; k < bs.size(); ++k)
          if (bs[k].kind == "paragraph") {
            p.items[0].description = bs[k].text;
            break;
          }
        break;
      }
    } else {
      // No agenda recognised: still a document, its text kept for the clerk.
      p.kind = "document";
      m.title = m.body;
      std::string title = first_heading_title(bs, 0, bs.size(), m.body.empty() ? std::string("Document") : m.body);
      whole_document(p, title, 0.2);
      p.warnings.push_back(
          "no agenda was recognised: the whole file is kept as one document; add, rename and place its items in the "
          "app before members rely on them");
    }
    if (!src.paged) mark_pages(p);
  }
  parse_forward_plan(p);
  parse_priorities(p);
  parse_answers(p);
  if (progress) progress("parse", 3, 3);
  return p;
}

std::vector<std::string> split_form_feeds(std::string_view text) {
  std::vector<std::string> pages;
  std::size_t from = 0;
  for (;;) {
    auto ff = text.find('\f', from);
    pages.emplace_back(text.substr(from, ff == std::string_view::npos ? std::string_view::npos : ff - from));
    if (ff == std::string_view::npos) break;
    from = ff + 1;
  }
  // pdftotext ends with a form feed: no empty last page.
  if (pages.size() > 1 && trim(pages.back()).empty()) pages.pop_back();
  return pages;
}

}  // namespace

std::string normalise(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string text_hash(std::string_view s) {
  bytes h = crypto::sha256(to_bytes(normalise(s)));
  return to_hex(h.data(), 16);
}

std::string json_escape(std::string_view s) {
  std::string o;
  o.reserve(s.size() + 2);
  for (unsigned char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      case '\r': o += "\\r"; break;
      default:
        if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o += static_cast<char>(c);
        }
    }
  }
  return o;
}

std::string parse_date(std::string_view s) {
  auto w = words_of(s);
  for (std::size_t i = 0; i + 2 < w.size(); ++i) {
    if (!all_digits(w[i]) || w[i].size() > 2) continue;
    int day = std::stoi(w[i]);
    int mon = month_of(w[i + 1]);
    if (!mon || day < 1 || day > 31 || !all_digits(w[i + 2])) continue;
    int year = std::stoi(w[i + 2]);
    if (w[i + 2].size() == 2) year += 2000;
    else if (w[i + 2].size() != 4) continue;
    return std::to_string(year) + "-" + two(mon) + "-" + two(day);
  }
  return {};
}

int count_words(std::string_view s) {
  int n = 0;
  bool in = false;
  for (char c : s) {
    bool sp = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
    if (!sp && !in) ++n;
    in = !sp;
  }
  return n;
}

std::vector<text_line> lines_of_runs(std::vector<text_run> runs) {
  std::erase_if(runs, [](const text_run& r) { return trim(r.text).empty(); });
  std::stable_sort(runs.begin(), runs.end(), [](const text_run& a, const text_run& b) { return a.y < b.y; });
  // Runs whose tops are within half a line of each other share a line.
  std::vector<std::vector<text_run>> rows;
  for (auto& r : runs) {
    double tol = std::max(1.0, (r.size > 0 ? r.size : 10) * 0.5);
    if (!rows.empty() && std::abs(rows.back().front().y - r.y) <= tol) rows.back().push_back(std::move(r));
    else rows.push_back({std::move(r)});
  }
  std::vector<text_line> out;
  double last_bottom = -1;
  for (auto& row : rows) {
    std::stable_sort(row.begin(), row.end(), [](const text_run& a, const text_run& b) { return a.x < b.x; });
    text_line l;
    l.x = row.front().x;
    l.y = row.front().y;
    l.bold = true;
    double end = -1;
    for (auto& r : row) {
      double sz = r.size > 0 ? r.size : 10;
      if (end >= 0) {
        double gap = r.x - end;
        if (gap > sz * 1.5) l.text += '\t';
        else if (gap > sz * 0.15 && !l.text.empty() && l.text.back() != ' ' && r.text.front() != ' ') l.text += ' ';
      }
      l.text += r.text;
      end = r.x + r.width;
      l.size = std::max(l.size, sz);
      l.bold = l.bold && r.bold;
    }
    // A gap of more than a line and a half is a paragraph break.
    if (last_bottom >= 0 && l.y - last_bottom > l.size * 1.2) out.push_back(text_line{});
    last_bottom = l.y + l.size;
    std::string t(trim(l.text));
    l.text = t;
    out.push_back(std::move(l));
  }
  return out;
}

// One page of plain text: a line per newline, without styles.
static source_page page_of_lines(const std::string& pg) {
  source_page sp;
  std::size_t from = 0;
  for (;;) {
    auto nl = pg.find('\n', from);
    sp.lines.push_back(text_line{pg.substr(from, nl == std::string::npos ? std::string::npos : nl - from)});
    if (nl == std::string::npos) break;
    from = nl + 1;
  }
  return sp;
}

source source_of_text(std::string_view text) {
  source src;
  auto pages = split_form_feeds(text);
  src.paged = pages.size() > 1;
  for (auto& pg : pages) {
    src.pages.push_back(page_of_lines(pg));
  }
  return src;
}

result<parsed> parse_source(const source& s, const progress_fn& progress) {
  if (s.pages.empty()) return make_error(errc::invalid_argument, "the file has no pages");
  return parse_core(s, progress);
}

// Text that holds NUL bytes is not text (an image, a PDF read as text, ...).
static result<void> check_text(std::string_view text) {
  if (trim(text).empty()) return make_error(errc::invalid_argument, "the file is empty");
  if (text.find('\0') != std::string_view::npos)
    return make_error(errc::invalid_argument, "the file is not text: choose the pack as a PDF or a text file");
  return {};
}

result<parsed> parse_text(std::string_view text, const progress_fn& progress) {
  PL_TRY(check_text(text));
  return parse_core(source_of_text(text), progress);
}

result<parsed> parse_pages(const std::vector<std::string>& pages, const progress_fn& progress) {
  if (pages.empty()) return make_error(errc::invalid_argument, "the file has no pages");
  source src;
  for (auto& pg : pages) {
    src.pages.push_back(page_of_lines(pg));
  }
  return parse_core(src, progress);
}

result<parsed> parse_supplement_source(const source& src, const std::string& title) {
  if (readable(src) == 0) return make_error(errc::invalid_argument, no_text);
  std::vector<line> lines;
  std::vector<std::size_t> first_line;
  parsed p = base_parse(src, lines, first_line);
  p.kind = "supplement";
  std::string t = title.empty() ? first_heading_title(p.blocks, 0, p.blocks.size(), "Supplement") : title;
  if (t == "Supplement" && !p.blocks.empty()) t = p.blocks.front().text.substr(0, 80);
  whole_document(p, t, 0.9);
  if (!src.paged) mark_pages(p);
  parse_priorities(p);
  parse_answers(p);
  return p;
}

result<parsed> parse_supplement(std::string_view text, const std::string& title) {
  PL_TRY(check_text(text));
  return parse_supplement_source(source_of_text(text), title);
}

namespace {
std::string fixed2(double v) {
  char c[32];
  std::snprintf(c, sizeof c, "%.2f", v);
  return c;
}
std::string evidence_json(const evidence& e) {
  return "{\"page\": " + std::to_string(e.page) + ", \"line\": " + std::to_string(e.line) + ", \"confidence\": " + fixed2(e.confidence) + "}";
}
}  // namespace

std::string preview_json(const parsed& p) {
  auto q = [](std::string_view s) { return "\"" + json_escape(s) + "\""; };
  std::string o = "{\n  \"kind\": " + q(p.kind) + ",\n  \"meeting\": {";
  const auto& m = p.meeting;
  o += "\"title\": " + q(m.title) + ", \"date\": " + q(m.date) + ", \"time\": " + q(m.time) + ", \"venue\": " + q(m.venue) +
       ", \"chair\": " + q(m.chair) + ", \"vice_chair\": " + q(m.vice_chair) + ", \"quorum\": " + std::to_string(m.quorum) +
       ", \"public_deadline\": " + q(m.public_deadline) + ", \"members\": [";
  for (std::size_t i = 0; i < m.members.size(); ++i) o += (i ? ", " : "") + q(m.members[i]);
  o += "], \"independent_members\": [";
  for (std::size_t i = 0; i < m.independent_members.size(); ++i) o += (i ? ", " : "") + q(m.independent_members[i]);
  o += "], \"body\": " + q(m.body) + ", \"vice_chairs\": [";
  for (std::size_t i = 0; i < m.vice_chairs.size(); ++i) o += (i ? ", " : "") + q(m.vice_chairs[i]);
  o += "], \"evidence\": {";
  for (std::size_t i = 0; i < m.found.size(); ++i) o += (i ? ", " : "") + q(m.found[i].first) + ": " + evidence_json(m.found[i].second);
  o += "}},\n  \"items\": [";
  for (std::size_t i = 0; i < p.items.size(); ++i) {
    const auto& it = p.items[i];
    o += std::string(i ? "," : "") + "\n    {\"number\": " + q(it.number) + ", \"title\": " + q(it.title) +
         ", \"pages\": " + q(it.pages) + ", \"first_page\": " + std::to_string(it.first_page) +
         ", \"last_page\": " + std::to_string(it.last_page) + ", \"exempt\": " + (it.exempt ? "true" : "false") +
         ", \"document\": " + q(it.document) + ", \"description\": " + q(it.description) + ", \"minute\": " + q(it.minute) +
         ", \"parent\": " + q(it.parent) + ", \"note\": " + q(it.note) + ", \"evidence\": " + evidence_json(it.found) +
         ", \"confidence\": " + fixed2(it.found.confidence) + "}";
  }
  o += "\n  ],\n  \"pages\": " + std::to_string(p.pages) + ", \"pages_exact\": " + (p.pages_exact ? "true" : "false") +
       ", \"outline_used\": " + (p.outline_used ? "true" : "false") +
       ", \"page_labels_used\": " + (p.page_labels_used ? "true" : "false") +
       ", \"blocks\": " + std::to_string(p.blocks.size()) + ", \"documents\": " + std::to_string(p.documents.size()) +
       ",\n  \"appendices\": [";
  bool any = false;
  for (const auto& d : p.documents) {
    if (!d.appendix) continue;
    o += std::string(any ? "," : "") + "\n    {\"item\": " + q(d.item >= 0 ? p.items[static_cast<std::size_t>(d.item)].number : "") +
         ", \"title\": " + q(d.title) + ", \"first_page\": " + std::to_string(d.first_page) +
         ", \"last_page\": " + std::to_string(d.last_page) + "}";
    any = true;
  }
  o += "\n  ],\n  \"forward_plan\": [";
  for (std::size_t i = 0; i < p.forward_plan.size(); ++i) {
    const auto& r = p.forward_plan[i];
    o += std::string(i ? "," : "") + "\n    {\"meeting\": " + q(r.meeting_label) + ", \"date\": " + q(r.meeting_date) +
         ", \"title\": " + q(r.title) + ", \"lead\": " + q(r.lead) + ", \"approach\": " + q(r.approach) + "}";
  }
  o += "\n  ],\n  \"priorities\": [";
  for (std::size_t i = 0; i < p.priorities.size(); ++i) o += (i ? ", " : "") + q(p.priorities[i].title);
  o += "],\n  \"answers\": [";
  for (std::size_t i = 0; i < p.answers.size(); ++i) {
    const auto& a = p.answers[i];
    o += std::string(i ? "," : "") + "\n    {\"meeting_date\": " + q(a.meeting_date) + ", \"number\": " + q(a.number) +
         ", \"recording_time\": " + q(a.recording_time) + ", \"written\": " + (a.written ? "true" : "false") + "}";
  }
  o += "],\n  \"fingerprint\": " + q(p.fingerprint) + ",\n  \"warnings\": [";
  for (std::size_t i = 0; i < p.warnings.size(); ++i) o += (i ? ", " : "") + q(p.warnings[i]);
  o += "]\n}\n";
  return o;
}

}  // namespace packline::pack
