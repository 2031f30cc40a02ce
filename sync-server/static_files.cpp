// Static file resolution for the webapp (see static_files.hpp). Never lets a
// target escape the root: ".." segments are refused before touching the disk.
#include "static_files.hpp"

#include <array>
#include <filesystem>
#include <system_error>
#include <utility>

namespace packline::server {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view extension(std::string_view name) {
  auto slash = name.rfind('/');
  auto base = slash == std::string_view::npos ? name : name.substr(slash + 1);
  auto dot = base.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return base.substr(dot);
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_regular(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec);
}

bool is_dir(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::is_directory(p, ec);
}

}  // namespace

std::string decode_target_path(std::string_view target) {
  auto cut = target.find_first_of("?#");
  if (cut != std::string_view::npos) target = target.substr(0, cut);
  if (target.empty() || target.front() != '/') return {};
  std::string out;
  out.reserve(target.size());
  for (std::size_t i = 0; i < target.size(); ++i) {
    char c = target[i];
    if (c == '%') {
      if (i + 2 >= target.size()) return {};
      int hi = hex_digit(target[i + 1]), lo = hex_digit(target[i + 2]);
      if (hi < 0 || lo < 0) return {};
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0' || c == '\\') return {};
    out.push_back(c);
  }
  // Refuse any "." or ".." segment: cheaper and stricter than canonicalising.
  std::size_t start = 0;
  while (start <= out.size()) {
    auto end = out.find('/', start);
    if (end == std::string::npos) end = out.size();
    std::string_view seg(out.data() + start, end - start);
    if (seg == "." || seg == "..") return {};
    start = end + 1;
  }
  return out;
}

std::string_view content_type_for(std::string_view file_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 22> types{{
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      // Browsers refuse WebAssembly.instantiateStreaming without this type.
      {".wasm", "application/wasm"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".pdf", "application/pdf"},
      {".xml", "application/xml"},
  }};
  auto ext = extension(file_name);
  for (const auto& [e, t] : types) {
    if (ext.size() != e.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < e.size() && same; ++i) {
      char c = ext[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      same = c == e[i];
    }
    if (same) return t;
  }
  return "application/octet-stream";
}

std::string_view cache_control_for(std::string_view url_path) {
  // Vite puts content-hashed bundles under /assets/: a new build gets new names.
  if (url_path.substr(0, 8) == "/assets/") return "public, max-age=31536000, immutable";
  // Everything else (index.html, sw.js, the manifest, core/*.wasm with fixed
  // names) must be revalidated, or a tablet keeps running an old app shell.
  return "no-cache";
}

std::optional<static_file> resolve_static(const std::string& root, std::string_view target) {
  std::string url = decode_target_path(target);
  if (url.empty() || root.empty()) return std::nullopt;
  std::filesystem::path base(root);
  std::string rel = url.substr(1);
  std::filesystem::path p = base / rel;
  std::string served_url = url;
  if (rel.empty() || ends_with(url, "/") || is_dir(p)) {
    p /= "index.html";
    served_url = "/index.html";
  }
  if (!is_regular(p)) {
    // Client-side routes (/meetings/abc) have no extension: hand them the app shell.
    if (!extension(url).empty()) return std::nullopt;
    p = base / "index.html";
    served_url = "/index.html";
    if (!is_regular(p)) return std::nullopt;
  }
  static_file f;
  f.path = p.string();
  f.content_type = std::string(content_type_for(f.path));
  f.cache_control = std::string(cache_control_for(served_url));
  return f;
}

}  // namespace packline::server
