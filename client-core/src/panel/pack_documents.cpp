// Pack import: the documents that follow the agenda, found by their headings
// and the items' page ranges, appendices split off as documents of their
// own, and page numbers on every block.
#include "packline/panel/pack_import.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>

#include "packline/crypto/crypto.hpp"
#include "panel/pack_text.hpp"

namespace packline::pack::detail {

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

}  // namespace packline::pack::detail
