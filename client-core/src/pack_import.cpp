// Pack import: the shapes of the panel's published documents (see
// ../shared/packs): a front sheet (Date:, Time:, Venue:, Membership:), the
// agenda (numbered items, page ranges, a purpose line), then the minutes and
// reports in agenda order. Text converted from PDF is imperfect (footers in
// the middle of a page, paragraphs cut at page breaks, tables as tab rows), so
// every step is a heuristic with a fallback that keeps the text as blocks.
#include "packline/pack_import.hpp"

#include "pack_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>

#include "packline/crypto.hpp"

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

std::size_t text_size(const block& b) { return b.text.size() + 40; }  // headings take room on a page too

// A running banner: the panel's name in capitals ("DORSET POLICE AND CRIME PANEL").
bool is_banner(std::string_view s) {
  if (contains_ci(s, "police and crime panel") || contains_ci(s, "police & crime panel")) return true;
  if (upper_ratio(s) < 0.8) return false;
  for (std::string_view w : {"panel", "committee", "board", "cabinet", "council", "commission"})
    if (contains_ci(s, w)) return true;
  return false;
}

// ---- documents ------------------------------------------------------------

std::vector<std::string> keywords(std::string_view title) {
  static const std::array<std::string_view, 14> stop = {"and", "the", "of", "to", "for", "a", "an", "on", "in",
                                                       "update", "report", "verbal", "by", "with"};
  std::vector<std::string> out;
  for (auto& w : words_of(lower(title)))
    if (w.size() > 2 && std::find(stop.begin(), stop.end(), w) == stop.end()) out.push_back(w);
  return out;
}

std::string norm_title(std::string_view s) {
  std::string out;
  for (auto& w : words_of(lower(s))) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  // "&" reads as "and" in titles ("Police & Crime Plan").
  std::string t;
  for (auto& w : words_of(lower(out))) {
    if (!t.empty()) t += ' ';
    t += w;
  }
  return t;
}

std::string norm_heading(std::string_view s) {
  std::string x(s);
  for (std::size_t p; (p = x.find('&')) != std::string::npos;) x.replace(p, 1, " and ");
  return norm_title(x);
}

// "AGENDA NO: 8", "Agenda Item 8", "AGENDA ITEM: 8".
int explicit_item(std::string_view s) {
  s = trim(s);
  if (!starts_with_ci(s, "agenda")) return -1;
  auto w = words_of(s);
  if (w.size() < 3 || w.size() > 4) return -1;
  std::string second = lower(w[1]);
  if (second != "no" && second != "item" && second != "number") return -1;
  return all_digits(w.back()) ? std::stoi(w.back()) : -1;
}

bool blank_page(std::string_view s) { return contains_ci(s, "page is intentionally left blank"); }

// Pages of text with no page breaks: a page exists only where the source
// marks one. A footer "Page N" is on page N, and so is everything after a
// footer "Page N-1" up to it; a paper starts on the printed page the agenda
// gives it. Other blocks get no page (0) rather than a guess.
void mark_pages(parsed& p) {
  auto& bs = p.blocks;
  for (auto& b : bs) b.page = 0;
  // (position*2, page ended there): a footer ends its page at the block; a
  // paper starting on page F ends page F-1 just before its first block.
  std::vector<std::pair<std::size_t, int>> ends;
  for (std::size_t i = 0; i < bs.size(); ++i) {
    int n = 0;
    if (bs[i].kind == "page_marker" && is_page_marker(bs[i].text, &n)) {
      bs[i].page = n;
      ends.push_back({2 * i + 1, n});
    }
  }
  for (const auto& d : p.documents)
    if (d.first_page > 0 && d.first_block < bs.size()) {
      bs[d.first_block].page = d.first_page;
      ends.push_back({2 * d.first_block, d.first_page - 1});
    }
  std::sort(ends.begin(), ends.end());
  for (std::size_t k = 0; k + 1 < ends.size(); ++k) {
    auto [from, n0] = ends[k];
    auto [to, n1] = ends[k + 1];
    if (n1 != n0 + 1) continue;
    for (std::size_t i = (from + 1) / 2; 2 * i < to; ++i) bs[i].page = n1;
  }
  int last = 0;
  for (auto& it : p.items) last = std::max(last, it.last_page);
  for (auto& b : bs) last = std::max(last, b.page);
  p.pages = last;
}

// A title-sized line: headings, and mixed-case titles such as
// "Police & Crime Plan Monitoring Report – Q2 2020/21".
// Numbered lines ("6. Police and Crime Plan Monitoring Report") are minutes
// of an earlier meeting, not the start of a paper.
bool short_line(const block& b) {
  return (b.kind == "heading" || b.kind == "paragraph") && b.text.size() < 100 && b.text.back() != '.' &&
         !std::isdigit(static_cast<unsigned char>(b.text[0]));
}

std::string first_heading_title(const std::vector<block>& bs, std::size_t from, std::size_t to, const std::string& fallback) {
  int seen = 0;
  for (std::size_t i = from; i < to && seen < 8; ++i) {
    const auto& b = bs[i];
    if (b.kind == "page_marker") continue;
    ++seen;
    if (b.kind != "heading" && !short_line(b)) continue;
    std::string_view t = trim(b.text);
    if (explicit_item(t) >= 0 || (is_banner(t) && t.size() < 40)) continue;
    if (is_banner(t) && !parse_date(t).empty() && !contains_ci(t, "minutes")) continue;  // "PANEL – 10 DECEMBER 2020"
    if (std::isdigit(static_cast<unsigned char>(t[0]))) continue;
    if (t.find(':') != std::string_view::npos && t.back() != ':' && !contains_ci(t, "minutes")) continue;
    if (contains_ci(t, "report by") || contains_ci(t, "purpose of")) continue;
    return std::string(t);
  }
  return fallback;
}

// Finds where each item's document starts (block indices, ascending).
void find_documents(parsed& p, std::size_t agenda_end, const std::vector<int>& start_page) {
  auto& bs = p.blocks;
  std::size_t from = agenda_end;
  bool first = true;
  std::vector<std::pair<int, std::size_t>> starts;  // item index, block
  for (std::size_t k = 0; k < p.items.size(); ++k) {
    auto& it = p.items[k];
    int phys = start_page[k];
    if (it.first_page <= 0 && phys <= 0) continue;
    std::size_t found = bs.size();
    // 1. The physical page, from the outline, page labels or page breaks.
    if (phys > 0) {
      for (std::size_t i = first ? from : from + 1; i < bs.size(); ++i)
        if (bs[i].page >= phys) { found = i; break; }
      if (found < bs.size()) {
        starts.push_back({static_cast<int>(k), found});
        from = found;
        first = false;
        continue;
      }
    }
    if (first) {
      starts.push_back({static_cast<int>(k), from});
      first = false;
      continue;
    }
    int num = all_digits(it.number) ? std::stoi(it.number) : -2;
    // 2. "AGENDA NO: 8".
    for (std::size_t i = from + 1; found == bs.size() && i < bs.size(); ++i)
      if (explicit_item(bs[i].text) == num) found = i;
    // 3. A heading that contains the item's title.
    std::string want = norm_heading(it.title);
    for (std::size_t i = from + 1; found == bs.size() && i < bs.size(); ++i) {
      if (!short_line(bs[i])) continue;
      std::string h = norm_heading(bs[i].text);
      if (!want.empty() && (h.find(want) == 0 || (want.find(' ') != std::string::npos && h.find(want) != std::string::npos)))
        found = i;
    }
    // 4. A heading with most of the title's keywords (word prefixes: "Workplan" ~ "plan").
    auto kw = keywords(it.title);
    for (std::size_t i = from + 1; found == bs.size() && !kw.empty() && i < bs.size(); ++i) {
      if (!short_line(bs[i]) || bs[i].text.size() > 80) continue;
      auto hw = words_of(lower(bs[i].text));
      std::size_t hit = 0;
      for (auto& w : kw)
        for (auto& h : hw)
          if (h.find(w) != std::string::npos) { ++hit; break; }
      if (hit > 0 && (kw.size() <= 2 ? hit == kw.size() : hit * 2 >= kw.size())) {
        found = i;
        // A cover report before the heading: start after the last blank page.
        for (std::size_t j = i; j > from + 1; --j)
          if (blank_page(bs[j - 1].text)) { found = j; break; }
      }
    }
    if (found == bs.size()) {
      p.warnings.push_back("could not find where the papers of item " + it.number + " (" + it.title +
                           ") start; their text stays with the previous item");
      continue;
    }
    // Take the running banner just above the heading with it.
    while (found > from + 1 && short_line(bs[found - 1]) && is_banner(bs[found - 1].text) &&
           bs[found - 1].text.size() < 60 && explicit_item(bs[found].text) < 0)
      --found;
    if (found > from + 1 && explicit_item(bs[found - 1].text) == num) --found;
    starts.push_back({static_cast<int>(k), found});
    from = found;
  }
  for (std::size_t s = 0; s < starts.size(); ++s) {
    auto [k, b0] = starts[s];
    std::size_t b1 = s + 1 < starts.size() ? starts[s + 1].second : bs.size();
    auto& it = p.items[k];
    document d;
    d.item = k;
    d.first_page = it.first_page;
    d.last_page = it.last_page;
    d.first_block = b0;
    d.blocks = b1 - b0;
    for (std::size_t i = b0; i < b1; ++i) bs[i].item = k;
    d.title = first_heading_title(bs, b0, b1, it.title);
    it.document = d.title;
    p.documents.push_back(d);
  }
}

// "Appendix A – Health and Wellbeing Initiatives", "Appendix to Minutes -
// DCJB Update", "APPENDIX 2: ...": the appendix's id ("a", "to minutes",
// "2"), or "" when the line is not an appendix heading (a sentence that
// mentions one, or the "Appendices" list heading).
std::string appendix_id(const block& b) {
  if (!short_line(b) || !starts_with_ci(trim(b.text), "appendix ")) return {};
  auto w = words_of(lower(b.text));
  if (w.size() < 2 || w[0] != "appendix") return {};
  if (w[1] == "to" && w.size() >= 3) return "to " + w[2];
  if (w[1].size() > 2) return {};
  // The id is followed by a dash or a colon, or ends the line.
  std::string_view t = trim(b.text);
  auto at = lower(std::string(t)).find(w[1], 9);
  if (at == std::string::npos) return {};
  std::string_view rest = trim(t.substr(at + w[1].size()));
  if (!rest.empty() && rest[0] != ':' && rest[0] != '-' && rest.rfind("\xe2\x80\x93", 0) != 0 && rest.rfind("\xe2\x80\x94", 0) != 0)
    return {};
  return w[1];
}

// Splits each paper's appendices into documents of their own (same item),
// after pages are known. Consecutive headings of one appendix ("Appendix A
// – Health and Wellbeing Initiatives" then "APPENDIX A – WELLBEING
// ACTIVITY") start one document. The blocks keep their item.
void split_appendices(parsed& p) {
  std::vector<document> out;
  for (const auto& d : p.documents) {
    std::vector<std::size_t> cuts;
    std::string last_id;
    std::size_t last_at = 0;
    for (std::size_t i = d.first_block + 1; i < d.first_block + d.blocks; ++i) {
      if (p.blocks[i].kind == "page_marker") continue;
      std::string id = appendix_id(p.blocks[i]);
      if (id.empty()) continue;
      if (!(id == last_id && i - last_at <= 2)) cuts.push_back(i);
      last_id = id;
      last_at = i;
    }
    std::size_t end = d.first_block + d.blocks;
    document cur = d;
    for (std::size_t c : cuts) {
      cur.blocks = c - cur.first_block;
      int page = p.blocks[c].page;
      if (page > 0) cur.last_page = std::max(cur.first_page, page);
      out.push_back(cur);
      document a;
      a.item = d.item;
      a.appendix = true;
      a.title = std::string(trim(p.blocks[c].text));
      a.first_block = c;
      a.first_page = page > 0 ? page : cur.last_page;
      a.last_page = d.last_page;
      cur = a;
    }
    cur.blocks = end - cur.first_block;
    out.push_back(cur);
  }
  p.documents = std::move(out);
}

// ---- forward plan ---------------------------------------------------------

std::vector<std::string> cells(std::string_view row) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (;;) {
    auto t = row.find('\t', from);
    out.emplace_back(trim(row.substr(from, t == std::string_view::npos ? std::string_view::npos : t - from)));
    if (t == std::string_view::npos) break;
    from = t + 1;
  }
  return out;
}

// HTML fragments some converters leave in table cells: tags out, bullets on lines.
std::string strip_html(std::string_view s) {
  std::string out;
  bool tag = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '<') { tag = true; continue; }
    if (c == '>') { tag = false; out += ' '; continue; }
    if (!tag) out += c;
  }
  std::string t = normalise(out);
  std::string b = "\xe2\x80\xa2";
  for (std::size_t p = t.find(b); p != std::string::npos; p = t.find(b, p + 3)) {
    if (p > 0 && t[p - 1] == ' ') t[p - 1] = '\n';
  }
  return std::string(trim(t));
}

int open_parens(std::string_view s) {
  int n = 0;
  for (char c : s) n += c == '(' ? 1 : c == ')' ? -1 : 0;
  return n;
}

void parse_forward_plan(parsed& p) {
  bool in_table = false, after_header = false;
  std::string label, date;
  for (auto& b : p.blocks) {
    if (b.kind != "table_row") continue;
    auto c = cells(b.text);
    if (c.size() >= 5 && starts_with_ci(c[0], "agenda item") && contains_ci(b.text, "approach")) {
      in_table = after_header = true;
      continue;
    }
    if (!in_table) continue;
    bool only_first = !c.empty() && !c[0].empty() &&
                      std::all_of(c.begin() + 1, c.end(), [](const std::string& x) { return x.empty(); });
    auto first_word = words_of(c.empty() ? std::string_view{} : std::string_view(c[0]));
    bool label_row = only_first && (!parse_date(c[0]).empty() || lower(c[0]) == "tbc" ||
                                    (!first_word.empty() && month_of(first_word[0]) && first_word.size() <= 4));
    while (c.size() < 6) c.emplace_back();
    // A row cut by a page break continues after the repeated header.
    bool continuation = after_header && !p.forward_plan.empty() && !label_row &&
                        (c[0].empty() || std::islower(static_cast<unsigned char>(c[0][0])) || only_first ||
                         open_parens(p.forward_plan.back().title) > 0);
    after_header = false;
    if (label_row) {
      label = c[0];
      date = parse_date(c[0]);
      if (date.empty()) {  // "January 2022 - Informal"
        if (first_word.size() >= 2 && month_of(first_word[0]) && all_digits(first_word[1]) && first_word[1].size() == 4)
          date = first_word[1] + "-" + two(month_of(first_word[0]));
      }
      continue;
    }
    if (continuation) {
      auto& r = p.forward_plan.back();
      auto add = [](std::string& to, const std::string& more) {
        if (more.empty()) return;
        if (!to.empty()) to += ' ';
        to += more;
      };
      add(r.title, strip_html(c[0]));
      add(r.notes, strip_html(c[1]));
      add(r.raised_by, c[2]);
      add(r.lead, c[3]);
      add(r.kloes, strip_html(c[4]));
      add(r.approach, c[5]);
      continue;
    }
    if (c[0].empty()) continue;
    forward_row r;
    r.meeting_label = label;
    r.meeting_date = date;
    r.title = strip_html(c[0]);
    r.notes = strip_html(c[1]);
    r.raised_by = c[2];
    r.lead = c[3];
    r.kloes = strip_html(c[4]);
    r.approach = c[5];
    if (starts_with_ci(r.approach, "agend")) r.approach = "Agenda";
    p.forward_plan.push_back(std::move(r));
  }
}

// ---- plan priorities ------------------------------------------------------

// "one " .. "ten " at the start of s: its value, and `d` set past it.
int number_in_words(std::string_view s, std::size_t& d) {
  static constexpr std::array<std::string_view, 10> w = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"};
  for (std::size_t i = 0; i < w.size(); ++i)
    if (starts_with_ci(s, w[i]) && (s.size() == w[i].size() || !is_alpha(s[w[i].size()]))) {
      d = w[i].size();
      return static_cast<int>(i) + 1;
    }
  return 0;
}

std::string title_case(std::string_view s) {
  static const std::array<std::string_view, 10> small = {"and", "of", "the", "for", "at", "to", "in", "on", "with", "our"};
  std::string out;
  bool first = true;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    std::string l = lower(word);
    if (!first && std::find(small.begin(), small.end(), l) != small.end()) out += l;
    else {
      l[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(l[0])));
      out += l;
    }
    first = false;
    word.clear();
  };
  for (char c : s) {
    if (c == ' ') {
      flush();
      out += ' ';
    } else {
      word += c;
    }
  }
  flush();
  return out;
}

// Priorities come only from a plan (a document whose item or title names a
// plan) or from explicit "Priority 1: ..." headings.
bool in_plan(const parsed& p, const block& b) {
  if (b.item >= 0 && static_cast<std::size_t>(b.item) < p.items.size()) {
    const auto& it = p.items[static_cast<std::size_t>(b.item)];
    return contains_ci(it.title, "plan") || contains_ci(it.document, "plan");
  }
  return false;
}

void parse_priorities(parsed& p) {
  auto& bs = p.blocks;
  // "Priority 1: Protecting people", "PRIORITY 2 – Working together".
  for (const auto& b : bs) {
    if (b.kind != "heading" && !(b.kind == "paragraph" && b.text.size() < 90)) continue;
    std::string_view t = trim(b.text);
    if (!starts_with_ci(t, "priority ")) continue;
    std::string rest = plain_dashes(t.substr(9));
    std::size_t d = 0;
    while (d < rest.size() && is_digit(rest[d])) ++d;
    int n = d && d <= 2 ? std::stoi(rest.substr(0, d)) : number_in_words(rest, d);
    if (n <= 0 || d >= rest.size() || (rest[d] != ':' && rest[d] != ' ' && rest[d] != '-' && rest[d] != '.')) continue;
    std::string title(trim(rest.substr(d)));
    while (!title.empty() && (title[0] == ':' || title[0] == '-' || title[0] == '.' || title[0] == ' ')) title.erase(0, 1);
    if (title.empty() || title.size() > 80 || title.back() == '.') continue;
    if (std::any_of(p.priorities.begin(), p.priorities.end(), [&](const priority& x) { return x.number == n; })) continue;
    p.priorities.push_back({n, upper_ratio(title) > 0.9 ? title_case(title) : title});
  }
  if (!p.priorities.empty()) return;
  // "...has identified six priorities. These priorities ... are:" then bullets.
  for (std::size_t i = 0; i < bs.size() && p.priorities.empty(); ++i) {
    std::string_view t = trim(bs[i].text);
    if (!contains_ci(t, "priorities") || t.empty() || t.back() != ':' || !(in_plan(p, bs[i]) || p.kind == "report")) continue;
    for (std::size_t j = i + 1; j < bs.size(); ++j) {
      if (bs[j].kind == "paragraph") continue;
      if (bs[j].kind != "list_item") break;
      std::string_view li = trim(bs[j].text);  // the bullet is already off
      if (li.empty() || std::isdigit(static_cast<unsigned char>(li[0])) || li.size() > 60 || li.back() == '.') break;
      p.priorities.push_back({static_cast<int>(p.priorities.size()) + 1, std::string(li)});
    }
  }
  if (!p.priorities.empty()) return;
  // Monitoring report pages: the pillar's name in capitals after "This Period / Last Period".
  for (std::size_t i = 0; i < bs.size(); ++i) {
    if (!(bs[i].kind == "table_row" && contains_ci(bs[i].text, "this period") && contains_ci(bs[i].text, "last period")) ||
        !in_plan(p, bs[i]))
      continue;
    std::size_t j = i + 1;
    std::string name;
    while (j < bs.size() && bs[j].kind == "heading" && upper_ratio(bs[j].text) > 0.95 && !is_banner(bs[j].text)) {
      if (!name.empty()) name += ' ';
      name += normalise(bs[j].text);
      ++j;
    }
    if (name.size() < 8 || name.size() > 80 ||
        std::any_of(name.begin(), name.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
      continue;
    std::string t = title_case(name);
    bool dup = false;
    for (auto& x : p.priorities) dup = dup || x.title == t;
    if (!dup) p.priorities.push_back({static_cast<int>(p.priorities.size()) + 1, t});
  }
}

// ---- whole documents ------------------------------------------------------

std::size_t total_size(const std::vector<block>& bs, std::size_t from, std::size_t to) {
  std::size_t n = 0;
  for (std::size_t i = from; i < to; ++i) n += text_size(bs[i]);
  return n;
}

// Rough printed page of converted text without page breaks.
constexpr std::size_t chars_per_page = 3200;

// ---- answers in minutes and question-and-answer appendices -----------------

// Takes a recording time out of `t`: "(01:20:24 on recording)", "(00.35.11
// on the recording)", "(20:25 on recording)" (minutes and seconds),
// "(01:52.00 ...)", "(1:20:24)". Returns "HH:MM:SS" or "".
std::string take_recording_time(std::string& t) {
  for (auto open = t.find('('); open != std::string::npos; open = t.find('(', open + 1)) {
    auto close = t.find(')', open);
    if (close == std::string::npos) break;
    std::string_view in = trim(std::string_view(t).substr(open + 1, close - open - 1));
    std::vector<int> parts;
    std::size_t i = 0;
    while (i < in.size() && parts.size() < 4) {
      std::size_t d = 0;
      while (i + d < in.size() && is_digit(in[i + d])) ++d;
      if (d == 0 || d > 2) break;
      parts.push_back(std::stoi(std::string(in.substr(i, d))));
      i += d;
      if (i < in.size() && (in[i] == ':' || in[i] == '.') && i + 1 < in.size() && is_digit(in[i + 1])) ++i;
      else break;
    }
    std::string_view after = trim(in.substr(i));
    bool cited = after.empty() || contains_ci(after, "recording") || contains_ci(after, "webcast") || contains_ci(after, "video");
    if (parts.size() < 2 || parts.size() > 3 || !cited) continue;
    // Two parts: minutes and seconds unless "on recording" follows "hh.mm" of a clock (never: seconds < 60 both ways).
    int h = parts.size() == 3 ? parts[0] : 0, m = parts[parts.size() - 2], sec = parts.back();
    if (m > 59 || sec > 59) continue;
    if (parts.size() == 2 && !contains_ci(after, "recording") && !contains_ci(after, "webcast")) continue;
    std::string time = two(h) + ":" + two(m) + ":" + two(sec);
    std::size_t from = open;
    while (from > 0 && t[from - 1] == ' ') --from;
    t.erase(from, close + 1 - from);
    return time;
  }
  return {};
}

// "Question 3", "Q3.", "Question 3: What ..." → number "3" and what follows.
bool question_head(std::string_view t, std::string& number, std::string& rest) {
  std::size_t at = starts_with_ci(t, "question ") ? 9 : (t.size() > 1 && (t[0] == 'Q' || t[0] == 'q')) ? 1 : 0;
  if (at == 0) return false;
  std::size_t d = at;
  while (d < t.size() && std::isdigit(static_cast<unsigned char>(t[d]))) ++d;
  if (d == at || d - at > 3 || (d < t.size() && std::isalpha(static_cast<unsigned char>(t[d])))) return false;
  number = std::string(t.substr(at, d - at));
  rest = std::string(t.substr(d));
  return true;
}

// "Response", "Answer", "Written response: ..." → what follows the label.
bool answer_label(std::string_view t, bool& written, std::string& rest) {
  written = starts_with_ci(t, "written ");
  std::string_view w = written ? trim(t.substr(8)) : t;
  for (std::string_view label : {"response", "answer"}) {
    if (!starts_with_ci(w, label) || (w.size() > label.size() && std::isalpha(static_cast<unsigned char>(w[label.size()]))))
      continue;
    rest = std::string(w.substr(label.size()));
    return true;
  }
  return false;
}

// Leading ".", ":", dashes and spaces of what follows a label.
std::string after_label(std::string s) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ' || s[i] == ':' || s[i] == '.' || s[i] == '-' || s[i] == ')') ++i;
    else if (s.compare(i, 3, "\xe2\x80\x93") == 0) i += 3;  // en dash
    else break;
  }
  return s.substr(i);
}

void add_text(std::string& to, std::string_view t) {
  if (t.empty()) return;
  if (!to.empty()) to += "\n\n";
  to += t;
}

void parse_answers(parsed& p) {
  int minutes = -1;
  std::string minutes_of;
  for (std::size_t i = 0; i < p.items.size(); ++i)
    if (contains_ci(p.items[i].title, "minutes")) {
      minutes = static_cast<int>(i);
      minutes_of = parse_date(p.items[i].description);
      if (minutes_of.empty()) minutes_of = parse_date(p.items[i].title);
      for (std::size_t b = 0, seen = 0; minutes_of.empty() && b < p.blocks.size() && seen < 6; ++b)
        if (p.blocks[b].item == static_cast<int>(i)) {
          ++seen;
          if (contains_ci(p.blocks[b].text, "minutes") || contains_ci(p.blocks[b].text, "held on")) minutes_of = parse_date(p.blocks[b].text);
        }
      break;
    }
  int qa_item = -2;  // the item whose questions-and-answers section is being read (-2: none)
  answer* cur = nullptr;  // the appendix entry being read (always the last answer)
  bool in_answer = false;
  for (const auto& b : p.blocks) {
    if (b.kind == "page_marker") continue;
    std::string t(trim(b.text));
    if (b.item != qa_item) {
      qa_item = -2;
      cur = nullptr;
    }
    if (t.size() < 120 && (contains_ci(t, "questions and answers") || contains_ci(t, "question and answer") ||
                           starts_with_ci(t, "q&a"))) {
      qa_item = b.item;
      cur = nullptr;
      continue;
    }
    std::string date = b.item == minutes ? minutes_of : std::string{};
    std::string number, rest;
    bool written = false;
    if (qa_item != -2) {
      if (question_head(t, number, rest)) {
        answer a;
        a.meeting_date = date;
        a.number = number;
        a.question = after_label(rest);
        p.answers.push_back(std::move(a));
        cur = &p.answers.back();
        in_answer = false;
      } else if (!cur) {
        continue;
      } else if (starts_with_ci(t, "question lead")) {
        cur->lead = after_label(t.substr(13));
      } else if (answer_label(t, written, rest)) {
        cur->written = written;
        cur->recording_time = take_recording_time(rest);
        add_text(cur->text, after_label(rest));
        in_answer = true;
      } else if (starts_with_ci(t, "duration of meeting")) {
        qa_item = -2;  // the minutes' closing lines end the appendix
        cur = nullptr;
      } else if (b.kind == "heading" || (t.size() < 60 && contains_ci(t, "questions") && t.back() != '.' && t.back() != '?')) {
        cur = nullptr;  // a section heading ("Finance questions") ends the entry
      } else {
        std::string time = take_recording_time(t);
        if (in_answer && cur->recording_time.empty()) cur->recording_time = time;
        add_text(in_answer ? cur->text : cur->question, t);
      }
      continue;
    }
    // A minutes paragraph that records an answer.
    if (b.item != minutes || (b.kind != "paragraph" && b.kind != "list_item")) continue;
    std::string time = take_recording_time(t);
    bool on_question = contains_ci(t, "question") || contains_ci(t, "asked");
    // An answer needs its meeting and the time it was given on the recording.
    if (!on_question || time.empty() || date.empty()) continue;
    answer a;
    a.meeting_date = date;
    if (question_head(t, number, rest)) a.number = number;
    a.text = t;
    a.recording_time = time;
    p.answers.push_back(std::move(a));
  }
  // An appendix entry with neither a recording time nor a written response records no answer.
  std::erase_if(p.answers, [](const answer& a) { return a.recording_time.empty() && !a.written; });
}

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
