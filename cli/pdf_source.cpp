// Native PDF reading for pack import: runs `pdftohtml -xml` and reads its
// pages (<page>, <fontspec>, <text> with <b>) and outline (<outline>, nested
// for levels, <item page="N">) into the neutral form; the page labels, which
// pdftohtml does not report, come from poppler's C++ library (poppler-cpp).
#include "pdf_source.hpp"

#include <poppler-document.h>
#include <poppler-page.h>
#include <sys/wait.h>

#include <memory>

#include <cstdio>
#include <cstdlib>
#include <map>

namespace packline::cli {
namespace {

std::string attr(std::string_view tag, std::string_view name) {
  std::string key = " " + std::string(name) + "=\"";
  auto at = tag.find(key);
  if (at == std::string_view::npos) return {};
  at += key.size();
  auto end = tag.find('"', at);
  return std::string(tag.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
}

void put_utf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) out += static_cast<char>(cp);
  else if (cp < 0x800) out += static_cast<char>(0xc0 | (cp >> 6)), out += static_cast<char>(0x80 | (cp & 0x3f));
  else if (cp < 0x10000)
    out += static_cast<char>(0xe0 | (cp >> 12)), out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f)),
        out += static_cast<char>(0x80 | (cp & 0x3f));
  else
    out += static_cast<char>(0xf0 | (cp >> 18)), out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f)),
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f)), out += static_cast<char>(0x80 | (cp & 0x3f));
}

// Text content: tags dropped (noting <b>), entities decoded.
std::string content(std::string_view s, bool& bold) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<') {
      auto end = s.find('>', i);
      if (s.compare(i, 3, "<b>") == 0) bold = true;
      if (end == std::string_view::npos) break;
      i = end;
    } else if (s[i] == '&') {
      auto end = s.find(';', i);
      if (end == std::string_view::npos || end - i > 10) {
        out += '&';
        continue;
      }
      std::string_view e = s.substr(i + 1, end - i - 1);
      if (e == "amp") out += '&';
      else if (e == "lt") out += '<';
      else if (e == "gt") out += '>';
      else if (e == "quot") out += '"';
      else if (e == "apos") out += '\'';
      else if (!e.empty() && e[0] == '#')
        put_utf8(out, std::strtoul(std::string(e.substr(e.size() > 1 && e[1] == 'x' ? 2 : 1)).c_str(), nullptr,
                                   e.size() > 1 && e[1] == 'x' ? 16 : 10));
      i = end;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

result<pack::source> source_of_pdf_xml(std::string_view xml) {
  pack::source src;
  std::map<std::string, double> font_size;
  std::vector<pack::text_run> runs;
  bool in_page = false;
  int depth = 0;  // outline nesting
  auto flush_page = [&] {
    pack::source_page pg;
    pg.lines = pack::lines_of_runs(std::move(runs));
    runs.clear();
    src.pages.push_back(std::move(pg));
  };
  for (std::size_t i = xml.find('<'); i != std::string_view::npos; i = xml.find('<', i + 1)) {
    auto end = xml.find('>', i);
    if (end == std::string_view::npos) break;
    std::string_view tag = xml.substr(i, end - i + 1);
    if (tag.rfind("<page ", 0) == 0) {
      in_page = true;
    } else if (tag == "</page>") {
      flush_page();
      in_page = false;
    } else if (tag.rfind("<fontspec ", 0) == 0) {
      font_size[attr(tag, "id")] = std::atof(attr(tag, "size").c_str());
    } else if (tag.rfind("<text ", 0) == 0 && in_page) {
      auto close = xml.find("</text>", end);
      if (close == std::string_view::npos) break;
      pack::text_run r;
      r.text = content(xml.substr(end + 1, close - end - 1), r.bold);
      r.x = std::atof(attr(tag, "left").c_str());
      r.y = std::atof(attr(tag, "top").c_str());
      r.width = std::atof(attr(tag, "width").c_str());
      r.size = font_size[attr(tag, "font")];
      runs.push_back(std::move(r));
      i = close;
    } else if (tag.rfind("<outline", 0) == 0) {
      ++depth;
    } else if (tag == "</outline>") {
      --depth;
    } else if (tag.rfind("<item", 0) == 0) {
      auto close = xml.find("</item>", end);
      if (close == std::string_view::npos) break;
      bool b = false;
      src.outline.push_back({content(xml.substr(end + 1, close - end - 1), b), std::atoi(attr(tag, "page").c_str()), depth - 1});
      i = close;
    }
  }
  if (src.pages.empty()) return make_error(errc::invalid_argument, "the PDF has no pages");
  return src;
}

result<pack::source> pdf_source(const std::string& path) {
  std::string cmd = "pdftohtml -xml -i -q -stdout -zoom 1 -nodrm '";
  for (char c : path) {
    if (c == '\'') cmd += "'\\''";
    else cmd += c;
  }
  cmd += "' 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return make_error(errc::storage, "could not run pdftohtml");
  std::string out;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  if (st != 0 || out.empty()) {
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
      return make_error(errc::bad_state, "reading PDFs needs poppler's pdftohtml: apt-get install poppler-utils");
    return make_error(errc::invalid_argument, path + " could not be read as a PDF (is it damaged, or not a PDF?)");
  }
  auto src = source_of_pdf_xml(out);
  if (!src) return src;
  PL_TRY(read_page_labels(path, *src));
  return src;
}

result<void> read_page_labels(const std::string& path, pack::source& src) {
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_file(path));
  if (!doc || doc->is_locked()) return make_error(errc::invalid_argument, path + " could not be read as a PDF (is it damaged, or not a PDF?)");
  std::vector<std::string> labels;
  bool any = false;
  for (int i = 0; i < doc->pages() && i < static_cast<int>(src.pages.size()); ++i) {
    std::unique_ptr<poppler::page> pg(doc->create_page(i));
    auto u = pg ? pg->label().to_utf8() : poppler::byte_array{};
    labels.emplace_back(u.begin(), u.end());
    // poppler numbers pages 1, 2, ... when the PDF has no labels; pdf.js
    // gives none then, and the core reads both alike.
    any = any || labels.back() != std::to_string(i + 1);
  }
  if (!any) return {};
  for (std::size_t i = 0; i < labels.size(); ++i) src.pages[i].label = std::move(labels[i]);
  return {};
}

}  // namespace packline::cli
