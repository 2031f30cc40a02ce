// Pack import: the shapes of the panel's published documents (see
// ../shared/packs): a front sheet (Date:, Time:, Venue:, Membership:), the
// agenda (numbered items, page ranges, a purpose line), then the minutes and
// reports in agenda order. Text converted from PDF is imperfect (footers in
// the middle of a page, paragraphs cut at page breaks, tables as tab rows), so
// every step is a heuristic with a fallback that keeps the text as blocks.
#include "packline/pack_import.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

#include "packline/crypto.hpp"

namespace packline::pack {
namespace {

// ---- text helpers ---------------------------------------------------------

std::string_view trim(std::string_view s) {
  auto sp = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
  while (!s.empty() && sp(s.front())) s.remove_prefix(1);
  while (!s.empty() && sp(s.back())) s.remove_suffix(1);
  // Non-breaking spaces left by converters.
  while (s.size() >= 2 && static_cast<unsigned char>(s[0]) == 0xc2 && static_cast<unsigned char>(s[1]) == 0xa0) s.remove_prefix(2);
  return s;
}

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

bool starts_with_ci(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  for (std::size_t i = 0; i < p.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(p[i]))) return false;
  return true;
}

bool contains_ci(std::string_view s, std::string_view p) { return lower(s).find(lower(p)) != std::string::npos; }

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// Share of upper-case among ASCII letters (-1 when there are fewer than 3).
double upper_ratio(std::string_view s) {
  int letters = 0, upper = 0;
  for (char c : s) {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      ++letters;
      if (std::isupper(static_cast<unsigned char>(c))) ++upper;
    }
  }
  return letters < 3 ? -1.0 : static_cast<double>(upper) / letters;
}

// "5 - 14", "5-14", "5 – 14" or "7".
bool parse_range(std::string_view s, int& first, int& last) {
  s = trim(s);
  std::string t;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80) {  // en/em dash
      t += '-';
      i += 2;
    } else if (c != ' ') {
      t += static_cast<char>(c);
    }
  }
  auto dash = t.find('-');
  if (dash == std::string::npos) {
    if (!all_digits(t) || t.size() > 4) return false;
    first = last = std::stoi(t);
    return true;
  }
  std::string a = t.substr(0, dash), b = t.substr(dash + 1);
  if (!all_digits(a) || !all_digits(b) || a.size() > 4 || b.size() > 4) return false;
  first = std::stoi(a);
  last = std::stoi(b);
  return first > 0 && last >= first;
}

constexpr std::array<std::string_view, 12> month_names = {"january", "february", "march",     "april",   "may",      "june",
                                                          "july",    "august",   "september", "october", "november", "december"};

int month_of(std::string_view w) {
  std::string l = lower(w);
  if (l.size() < 3) return 0;
  for (std::size_t i = 0; i < month_names.size(); ++i)
    if (month_names[i].substr(0, l.size()) == l || (l.size() > 3 && l.substr(0, 3) == month_names[i].substr(0, 3) &&
                                                     month_names[i].find(l) == 0))
      return static_cast<int>(i) + 1;
  if (l == "sept") return 9;
  return 0;
}

std::vector<std::string> words_of(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) cur += c;
    else if (!cur.empty()) out.push_back(std::exchange(cur, {}));
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string two(int v) {
  char b[16];
  std::snprintf(b, sizeof b, "%02d", v);
  return b;
}

// "10.00 am", "2.30pm", "10am", "14:00" → "HH:MM".
std::string parse_time(std::string_view s) {
  std::string l = lower(s);
  for (std::size_t i = 0; i < l.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(l[i])) || (i > 0 && std::isdigit(static_cast<unsigned char>(l[i - 1])))) continue;
    std::size_t j = i;
    int h = 0, m = 0;
    while (j < l.size() && std::isdigit(static_cast<unsigned char>(l[j])) && j - i < 2) h = h * 10 + (l[j++] - '0');
    bool has_min = false;
    if (j + 2 < l.size() && (l[j] == '.' || l[j] == ':') && std::isdigit(static_cast<unsigned char>(l[j + 1])) &&
        std::isdigit(static_cast<unsigned char>(l[j + 2]))) {
      m = (l[j + 1] - '0') * 10 + (l[j + 2] - '0');
      j += 3;
      has_min = true;
    }
    std::size_t k = j;
    while (k < l.size() && l[k] == ' ') ++k;
    bool am = l.compare(k, 2, "am") == 0, pm = l.compare(k, 2, "pm") == 0;
    if (!am && !pm && !has_min) continue;
    if (pm && h < 12) h += 12;
    if (am && h == 12) h = 0;
    if (h > 23 || m > 59) continue;
    return two(h) + ":" + two(m);
  }
  return {};
}

// ---- lines and blocks -----------------------------------------------------

struct line {
  std::string text;
  int page = 0;  // 1-based page when the source had page breaks
};

std::vector<line> split_lines(const std::vector<std::string>& pages) {
  std::vector<line> out;
  for (std::size_t p = 0; p < pages.size(); ++p) {
    std::string_view t = pages[p];
    std::size_t at = 0;
    while (at <= t.size()) {
      auto nl = t.find('\n', at);
      std::string_view ln = t.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
      // Converters glue bold runs into one line: "A**B**C" is three lines.
      std::string s(ln);
      if (s.find("**") != std::string::npos) {
        std::size_t from = 0;
        for (;;) {
          auto m = s.find("**", from);
          std::string part = std::string(trim(std::string_view(s).substr(from, m == std::string::npos ? std::string::npos : m - from)));
          if (!part.empty()) out.push_back({part, static_cast<int>(p) + 1});
          if (m == std::string::npos) break;
          from = m + 2;
        }
        out.push_back({"", static_cast<int>(p) + 1});
      } else {
        if (!s.empty() && s.back() == '\r') s.pop_back();
        out.push_back({std::move(s), static_cast<int>(p) + 1});
      }
      if (nl == std::string_view::npos) break;
      at = nl + 1;
    }
    out.push_back({"", static_cast<int>(p) + 1});
  }
  return out;
}

bool is_page_marker(std::string_view s, int* n = nullptr) {
  s = trim(s);
  if (!starts_with_ci(s, "page ")) return false;
  auto rest = trim(s.substr(5));
  if (!all_digits(rest) || rest.size() > 4) return false;
  if (n) *n = std::stoi(std::string(rest));
  return true;
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

// Runs of non-empty lines become paragraphs; headings, list items, table rows
// and page footers stand alone. Returns blocks with the page of their first line.
std::vector<block> make_blocks(const std::vector<line>& lines) {
  std::vector<block> out;
  bool open = false;
  for (auto& l : lines) {
    std::string_view t = trim(l.text);
    if (t.empty()) {
      open = false;
      continue;
    }
    std::string k = kind_of(l.text);
    std::string text = k == "table_row" ? std::string(l.text) : std::string(t);
    if (k == "table_row") {
      while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
    }
    // Wrapped lines of one paragraph join; a line that ends a sentence, a
    // "Label: value" line and a bare page range ("5 - 14") end it (PDF text
    // has no blank lines between paragraphs).
    int a = 0, b = 0;
    bool alone = starts_label(t) || parse_range(t, a, b);
    if (k == "paragraph" && open && out.back().kind == "paragraph" && !alone) {
      out.back().text += " ";
      out.back().text += t;
      open = !ends_sentence(t);
      continue;
    }
    out.push_back(block{k, std::move(text), l.page, -1});
    open = k == "paragraph" && !alone && !ends_sentence(t);
  }
  return out;
}

std::size_t text_size(const block& b) { return b.text.size() + 40; }  // headings take room on a page too

// ---- front sheet ----------------------------------------------------------

std::string after_colon(std::string_view s) {
  auto c = s.find(':');
  return c == std::string_view::npos ? std::string{} : std::string(trim(s.substr(c + 1)));
}

void parse_membership(meeting_info& m, std::string_view names) {
  m.membership = std::string(trim(names));
  std::string s = m.membership;
  // Split on ", " and " and ".
  std::vector<std::string> parts;
  std::size_t from = 0;
  for (;;) {
    std::size_t c = s.find(", ", from), a = s.find(" and ", from);
    std::size_t cut = std::min(c, a);
    parts.emplace_back(trim(std::string_view(s).substr(from, cut == std::string::npos ? std::string::npos : cut - from)));
    if (cut == std::string::npos) break;
    from = cut + (cut == c ? 2 : 5);
  }
  for (auto& p : parts) {
    if (p.empty()) continue;
    std::string name = p;
    auto br = p.find('(');
    if (br != std::string::npos) {
      std::string tag = lower(p.substr(br));
      name = std::string(trim(std::string_view(p).substr(0, br)));
      if (tag.find("vice") != std::string::npos) m.vice_chair = name;
      else if (tag.find("chair") != std::string::npos) m.chair = name;
      else if (tag.find("independent") != std::string::npos) m.independent_members.push_back(name);
    }
    m.members.push_back(name);  // as printed ("Cllr ..." where the pack says so)
  }
}

// "The deadline ... is 8.30am on Monday 7 December 2020."
std::string parse_deadline(std::string_view s) {
  if (!contains_ci(s, "deadline")) return {};
  std::string d = parse_date(s), t = parse_time(s);
  if (d.empty() || t.empty()) return {};
  return d + " " + t;
}

bool is_banner(std::string_view s) {
  return contains_ci(s, "police and crime panel") || contains_ci(s, "police & crime panel");
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

// Pages by interpolation between anchors (block index, page) over text size.
void spread_pages(std::vector<block>& bs, std::size_t from, std::size_t to, int first, int last) {
  if (from >= to || first <= 0) return;
  if (last < first) last = first;
  std::vector<std::pair<std::size_t, int>> anchors{{from, first}};
  for (std::size_t i = from; i < to; ++i) {
    int n = 0;
    if (bs[i].kind == "page_marker" && is_page_marker(bs[i].text, &n) && n >= anchors.back().second && n <= last)
      anchors.push_back({i, n});
  }
  anchors.push_back({to, last + 1});
  std::vector<std::size_t> cum(to - from + 1, 0);
  for (std::size_t i = from; i < to; ++i) cum[i - from + 1] = cum[i - from] + text_size(bs[i]);
  for (std::size_t a = 0; a + 1 < anchors.size(); ++a) {
    auto [i0, p0] = anchors[a];
    auto [i1, p1] = anchors[a + 1];
    // A footer "Page N" closes page N: the segment before it runs p0..N.
    int span = a + 1 == anchors.size() - 1 ? p1 - p0 : p1 - p0 + 1;
    if (span < 1) span = 1;
    double total = static_cast<double>(cum[i1 - from] - cum[i0 - from]);
    for (std::size_t i = i0; i < i1; ++i) {
      double at = total > 0 ? (cum[i - from] - cum[i0 - from]) / total : 0;
      int pg = p0 + static_cast<int>(at * span);
      if (a + 1 < anchors.size() - 1) pg = std::min(pg, p1);
      bs[i].page = std::clamp(pg, first, last);
    }
  }
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
void find_documents(parsed& p, std::size_t agenda_end) {
  auto& bs = p.blocks;
  std::size_t from = agenda_end;
  bool first = true;
  std::vector<std::pair<int, std::size_t>> starts;  // item index, block
  for (std::size_t k = 0; k < p.items.size(); ++k) {
    auto& it = p.items[k];
    if (it.first_page <= 0) continue;
    if (first) {
      starts.push_back({static_cast<int>(k), from});
      first = false;
      continue;
    }
    std::size_t found = bs.size();
    int num = all_digits(it.number) ? std::stoi(it.number) : -2;
    // 1. Exact pages from PDF page breaks.
    if (p.pages_exact && it.first_page <= p.pages) {
      for (std::size_t i = from + 1; i < bs.size(); ++i)
        if (bs[i].page >= it.first_page) { found = i; break; }
    }
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

void parse_priorities(parsed& p) {
  auto& bs = p.blocks;
  // "...has identified six priorities. These priorities ... are:" then bullets.
  for (std::size_t i = 0; i < bs.size() && p.priorities.empty(); ++i) {
    std::string_view t = trim(bs[i].text);
    if (!contains_ci(t, "priorities") || t.empty() || t.back() != ':') continue;
    for (std::size_t j = i + 1; j < bs.size(); ++j) {
      if (bs[j].kind == "paragraph") continue;
      if (bs[j].kind != "list_item") break;
      std::string_view li = trim(trim(bs[j].text).substr(1));
      if (li.empty() || std::isdigit(static_cast<unsigned char>(li[0])) || li.size() > 60 || li.back() == '.') break;
      p.priorities.push_back({static_cast<int>(p.priorities.size()) + 1, std::string(li)});
    }
  }
  if (!p.priorities.empty()) return;
  // Monitoring report pages: the pillar's name in capitals after "This Period / Last Period".
  for (std::size_t i = 0; i < bs.size(); ++i) {
    if (!(bs[i].kind == "table_row" && contains_ci(bs[i].text, "this period") && contains_ci(bs[i].text, "last period")))
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

// Takes "(01:20:24 on recording)" (or "(1:20:24)") out of `t`; returns "01:20:24" or "".
std::string take_recording_time(std::string& t) {
  auto digit = [](std::string_view v, std::size_t i) { return i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])); };
  for (auto open = t.find('('); open != std::string::npos; open = t.find('(', open + 1)) {
    auto close = t.find(')', open);
    if (close == std::string::npos) break;
    std::string_view in = trim(std::string_view(t).substr(open + 1, close - open - 1));
    std::size_t h = 0;
    while (digit(in, h)) ++h;
    if (h < 1 || h > 2 || in.size() < h + 6 || in[h] != ':' || !digit(in, h + 1) || !digit(in, h + 2) || in[h + 3] != ':' ||
        !digit(in, h + 4) || !digit(in, h + 5) || digit(in, h + 6))
      continue;
    std::string time = (h == 1 ? "0" : "") + std::string(in.substr(0, h + 6));
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
    if (!(on_question && (!time.empty() || starts_with_ci(t, "in response to") || contains_ci(t, "asked a question"))))
      continue;
    answer a;
    a.meeting_date = date;
    if (question_head(t, number, rest)) a.number = number;
    a.text = t;
    a.recording_time = time;
    p.answers.push_back(std::move(a));
  }
}

result<parsed> parse_agenda_pack(parsed p, std::size_t agenda_at, std::size_t front_end, const progress_fn& progress) {
  auto& bs = p.blocks;
  // Items: "1 APOLOGIES", numbered in sequence, then an optional page range and
  // the purpose line(s).
  std::size_t i = agenda_at + 1, agenda_end = bs.size();
  int expect = 1;
  int cur = -1;
  for (; i < bs.size(); ++i) {
    std::string_view t = trim(bs[i].text);
    if (t == "Page No." || starts_with_ci(t, "page no")) continue;
    // "12 URGENT ITEMS": number then a capitalised title.
    std::size_t d = 0;
    while (d < t.size() && std::isdigit(static_cast<unsigned char>(t[d]))) ++d;
    if (d > 0 && d <= 2 && d < t.size() && (t[d] == ' ' || t[d] == '.') && std::stoi(std::string(t.substr(0, d))) == expect &&
        upper_ratio(t.substr(d)) >= 0.7) {
      item it;
      it.number = std::string(t.substr(0, d));
      it.title = std::string(trim(t.substr(d + 1)));
      p.items.push_back(std::move(it));
      cur = static_cast<int>(p.items.size()) - 1;
      bs[i].item = cur;
      ++expect;
      continue;
    }
    if (cur < 0) continue;
    auto& it = p.items[cur];
    int a = 0, b = 0;
    if (it.pages.empty() && it.description.empty() && parse_range(t, a, b)) {
      it.first_page = a;
      it.last_page = b;
      it.pages = a == b ? std::to_string(a) : std::to_string(a) + " - " + std::to_string(b);
      bs[i].item = cur;
      continue;
    }
    // The agenda ends at the first capitals banner after the items.
    if (bs[i].kind == "heading" && upper_ratio(t) > 0.9 && words_of(t).size() >= 2) {
      agenda_end = i;
      break;
    }
    bs[i].item = cur;
    if (it.description.empty()) it.description = std::string(t);
    std::string dl = p.meeting.public_deadline.empty() ? parse_deadline(t) : std::string{};
    if (!dl.empty()) p.meeting.public_deadline = dl;
  }
  if (p.items.empty()) return make_error(errc::invalid_argument, "the agenda lists no numbered items (\"1 APOLOGIES\", ...)");
  for (auto& it : p.items) {
    std::string all = lower(it.title + " " + it.description);
    it.exempt = all.find("exempt") != std::string::npos || all.find("exclusion of the press") != std::string::npos;
  }
  if (progress) progress("parse", 1, 3);

  find_documents(p, agenda_end);
  if (progress) progress("parse", 2, 3);

  // Pages.
  int first_doc_page = 0, last_page = 0;
  for (auto& it : p.items) {
    if (it.first_page > 0 && (first_doc_page == 0 || it.first_page < first_doc_page)) first_doc_page = it.first_page;
    last_page = std::max(last_page, it.last_page);
  }
  if (p.pages_exact) {
    p.pages = bs.empty() ? 0 : std::max(p.pages, bs.back().page);
  } else {
    std::size_t front = p.documents.empty() ? bs.size() : p.documents.front().first_block;
    int front_pages = first_doc_page > 1 ? first_doc_page - 1
                                         : static_cast<int>((total_size(bs, 0, front) + chars_per_page - 1) / chars_per_page);
    spread_pages(bs, 0, front, 1, std::max(1, front_pages));
    for (auto& d : p.documents) spread_pages(bs, d.first_block, d.first_block + d.blocks, d.first_page, d.last_page);
    p.pages = std::max(last_page, front_pages);
    (void)front_end;
  }
  split_appendices(p);
  // Items without papers sit on the agenda pages.
  parse_forward_plan(p);
  parse_priorities(p);
  parse_answers(p);
  return p;
}

parsed base_parse(const std::vector<std::string>& pages) {
  parsed p;
  p.pages_exact = pages.size() > 1;
  p.pages = static_cast<int>(pages.size());
  auto lines = split_lines(pages);
  p.blocks = make_blocks(lines);
  std::string all;
  for (auto& pg : pages) {
    all += pg;
    all += '\n';
  }
  p.fingerprint = text_hash(all);
  return p;
}

result<parsed> parse(const std::vector<std::string>& pages, const progress_fn& progress) {
  std::size_t size = 0;
  for (auto& pg : pages) size += pg.size();
  if (size == 0) return make_error(errc::invalid_argument, "the file is empty");
  for (auto& pg : pages)
    for (char c : pg)
      if (c == '\0') return make_error(errc::invalid_argument, "the file is not text (is it a PDF? import PDFs with the native client)");
  if (progress) progress("parse", 0, 3);
  parsed p = base_parse(pages);
  auto& bs = p.blocks;
  // Front sheet: Date:/Time:/Venue:/Membership: before the agenda heading.
  std::size_t agenda_at = bs.size();
  for (std::size_t i = 0; i < bs.size() && i < 200; ++i) {
    std::string t = normalise(bs[i].text);
    std::string compact;
    for (char c : t)
      if (c != ' ') compact += c;
    if (lower(compact) == "agenda") {
      agenda_at = i;
      break;
    }
  }
  auto& m = p.meeting;
  for (std::size_t i = 0; i < std::min(agenda_at, bs.size()); ++i) {
    std::string_view t = trim(bs[i].text);
    if (m.body.empty() && bs[i].kind != "page_marker") m.body = std::string(t);
    if (starts_with_ci(t, "date:")) m.date = parse_date(t);
    else if (starts_with_ci(t, "time:")) m.time = parse_time(t);
    else if (starts_with_ci(t, "venue:")) m.venue = after_colon(t);
    else if (starts_with_ci(t, "membership")) {
      auto q = lower(t).find("quorum");
      if (q != std::string::npos) {
        auto w = words_of(t.substr(q));
        if (w.size() >= 2 && all_digits(w[1])) m.quorum = std::stoi(w[1]);
      }
      std::string rest = after_colon(t);
      if (!rest.empty() && rest[0] == '(') rest.clear();
      if (rest.empty() && i + 1 < bs.size()) rest = bs[i + 1].text;
      parse_membership(m, rest);
    }
  }
  if (agenda_at < bs.size() && !m.date.empty()) {
    p.kind = "agenda_pack";
    m.title = m.body;
    return parse_agenda_pack(std::move(p), agenda_at, agenda_at, progress);
  }
  // One report for a meeting: "POLICE AND CRIME PANEL – 7 July 2021" on top.
  for (std::size_t i = 0; i < bs.size() && i < 6; ++i) {
    std::string_view t = trim(bs[i].text);
    if (!is_banner(t) || parse_date(t).empty()) continue;
    p.kind = "report";
    m.date = parse_date(t);
    std::string head(t);
    auto dash = head.find("\xe2\x80\x93");
    if (dash == std::string::npos) dash = head.find(" - ");
    m.body = m.title = title_case(normalise(head.substr(0, dash)));
    item it;
    it.number = "1";
    std::size_t start = i + 1;
    it.title = first_heading_title(bs, start, bs.size(), "Report");
    for (std::size_t j = start; j < bs.size() && j < start + 8; ++j) {
      if (contains_ci(bs[j].text, "purpose of")) {
        for (std::size_t k = j + 1; k < bs.size(); ++k)
          if (bs[k].kind == "paragraph") { it.description = bs[k].text; break; }
        break;
      }
    }
    std::size_t size = total_size(bs, 0, bs.size());
    int n = std::max(1, static_cast<int>((size + chars_per_page - 1) / chars_per_page));
    if (p.pages_exact) n = p.pages;
    it.first_page = 1;
    it.last_page = n;
    it.pages = n == 1 ? "1" : "1 - " + std::to_string(n);
    it.document = it.title;
    p.items.push_back(it);
    for (auto& b : bs) b.item = 0;
    p.documents.push_back(document{0, it.title, 1, n, 0, bs.size()});
    if (!p.pages_exact) spread_pages(bs, 0, bs.size(), 1, n);
    p.pages = n;
    parse_forward_plan(p);
    parse_priorities(p);
    parse_answers(p);
    return p;
  }
  return make_error(errc::invalid_argument,
                    "this is not an agenda pack: found no front sheet with \"Date:\" and an \"AGENDA\" of numbered items, "
                    "and no meeting heading such as \"POLICE AND CRIME PANEL – 7 July 2021\". To add it to a meeting as a "
                    "supplement, import it into that meeting");
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

result<parsed> parse_text(std::string_view text, const progress_fn& progress) {
  return parse(split_form_feeds(text), progress);
}

result<parsed> parse_pages(const std::vector<std::string>& pages, const progress_fn& progress) {
  if (pages.empty()) return make_error(errc::invalid_argument, "the file has no pages");
  std::vector<std::string> ps = pages;
  // One page still counts as paged input.
  auto r = parse(ps, progress);
  if (r && pages.size() == 1) r->pages_exact = true;
  return r;
}

result<parsed> parse_supplement(std::string_view text, const std::string& title) {
  auto pages = split_form_feeds(text);
  std::size_t size = 0;
  for (auto& pg : pages) size += trim(pg).size();
  if (size == 0) return make_error(errc::invalid_argument, "the file is empty");
  for (auto& pg : pages)
    if (pg.find('\0') != std::string::npos) return make_error(errc::invalid_argument, "the file is not text");
  parsed p = base_parse(pages);
  p.kind = "supplement";
  item it;
  it.title = title.empty() ? first_heading_title(p.blocks, 0, p.blocks.size(), "Supplement") : title;
  if (it.title == "Supplement" && !p.blocks.empty()) it.title = p.blocks.front().text.substr(0, 80);
  std::size_t sz = total_size(p.blocks, 0, p.blocks.size());
  int n = p.pages_exact ? p.pages : std::max(1, static_cast<int>((sz + chars_per_page - 1) / chars_per_page));
  it.first_page = 1;
  it.last_page = n;
  it.pages = n == 1 ? "1" : "1 - " + std::to_string(n);
  it.document = it.title;
  p.items.push_back(it);
  for (auto& b : p.blocks) b.item = 0;
  p.documents.push_back(document{0, it.title, 1, n, 0, p.blocks.size()});
  if (!p.pages_exact) spread_pages(p.blocks, 0, p.blocks.size(), 1, n);
  p.pages = n;
  parse_priorities(p);
  parse_answers(p);
  return p;
}

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
  o += "]},\n  \"items\": [";
  for (std::size_t i = 0; i < p.items.size(); ++i) {
    const auto& it = p.items[i];
    o += std::string(i ? "," : "") + "\n    {\"number\": " + q(it.number) + ", \"title\": " + q(it.title) +
         ", \"pages\": " + q(it.pages) + ", \"first_page\": " + std::to_string(it.first_page) +
         ", \"last_page\": " + std::to_string(it.last_page) + ", \"exempt\": " + (it.exempt ? "true" : "false") +
         ", \"document\": " + q(it.document) + ", \"description\": " + q(it.description) + "}";
  }
  o += "\n  ],\n  \"pages\": " + std::to_string(p.pages) + ", \"pages_exact\": " + (p.pages_exact ? "true" : "false") +
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
