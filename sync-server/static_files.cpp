// Static file resolution for the webapp (see static_files.hpp). Never lets a
// target escape the root: hostile spellings are refused before touching the
// disk, and the real path of what remains must lie inside the real root.
#include "static_files.hpp"

#include <cctype>
#include <cstdio>

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

// Longer targets name no file of a built webapp; they are only probes.
constexpr std::size_t max_target_bytes = 1024;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
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
  if (target.empty() || target.front() != '/' || target.size() > max_target_bytes) return {};
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
      // An encoded separator names no file of ours; it only hides a path.
      if (c == '/') return {};
    }
    // NUL, backslashes and control characters name no file of the webapp.
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return {};
    out.push_back(c);
  }
  // Segments: none empty ("//" would make the rest an absolute path), none
  // "." or "..", none hidden (".env"). Only a final "/" (a folder) may
  // leave an empty last segment.
  for (std::size_t start = 1; start < out.size();) {
    auto end = out.find('/', start);
    if (end == std::string::npos) end = out.size();
    std::string_view seg(out.data() + start, end - start);
    if (seg.empty() || seg.front() == '.') return {};
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

const std::array<header, 4>& security_headers() {
  static const std::array<header, 4> h{{
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; "
       "connect-src 'self' blob:; img-src 'self' data: blob:; font-src 'self' data:; "
       // The printable export is a blob: page with its own <style>; a blob:
       // document inherits this policy. Styles cannot run code.
       "style-src 'self' 'unsafe-inline'; "
       "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "same-origin"},
      // For browsers that predate frame-ancestors.
      {"X-Frame-Options", "DENY"},
  }};
  return h;
}

std::optional<static_file> resolve_static(const std::string& root, std::string_view target,
                                          std::string_view accept_encoding) {
  std::string url = decode_target_path(target);
  if (url.empty() || root.empty()) return std::nullopt;
  std::error_code ec;
  auto base = std::filesystem::canonical(root, ec);
  if (ec) return std::nullopt;
  // The real path (symlinks resolved) of what a target names must lie inside
  // the real root: the last word on escapes, whatever the decoding let through.
  bool escaped = false;
  auto inside = [&](const std::filesystem::path& p) -> std::optional<std::filesystem::path> {
    std::error_code e;
    auto real = std::filesystem::canonical(p, e);
    if (e) return std::nullopt;  // nothing there
    auto rel = real.lexically_relative(base);
    if (rel.empty() || rel.native().front() == '.' || rel.is_absolute()) {
      escaped = true;
      return std::nullopt;
    }
    return real;
  };
  std::string served_url = url;
  auto p = url == "/" ? std::optional(base) : inside(base / url.substr(1));
  std::optional<std::filesystem::path> file = p;
  if (ends_with(url, "/") || (p && is_dir(*p))) {
    file = p ? inside(*p / "index.html") : std::nullopt;
    served_url = "/index.html";
  }
  if (escaped) return std::nullopt;
  if (!file || !is_regular(*file)) {
    // Client-side routes (/meetings/abc) have no extension and name nothing
    // on disk: hand them the app shell.
    if (!extension(url).empty() || p) return std::nullopt;
    file = inside(base / "index.html");
    served_url = "/index.html";
    if (!file || !is_regular(*file)) return std::nullopt;
  }
  static_file f;
  f.path = file->string();
  f.content_type = std::string(content_type_for(f.path));
  f.cache_control = std::string(cache_control_for(served_url));
  // A copy compressed at build time (file.br, file.gz beside it, inside the
  // root as well) when the browser takes it: brotli first, then gzip.
  for (auto [coding, suffix] : {std::pair{"br", ".br"}, std::pair{"gzip", ".gz"}}) {
    if (!accepts_encoding(accept_encoding, coding)) continue;
    auto packed = inside(std::filesystem::path(f.path + suffix));
    if (escaped) return std::nullopt;
    if (packed && is_regular(*packed)) {
      f.path = packed->string();
      f.encoding = coding;
      break;
    }
  }
  std::error_code ec1, ec2;
  auto size = std::filesystem::file_size(f.path, ec1);
  auto mtime = std::filesystem::last_write_time(f.path, ec2);
  if (ec1 || ec2) return std::nullopt;
  char tag[64];
  std::snprintf(tag, sizeof tag, "W/\"%llx-%llx%s%s\"", static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(mtime.time_since_epoch().count()), f.encoding.empty() ? "" : "-",
                f.encoding.c_str());
  f.etag = tag;
  return f;
}

bool accepts_encoding(std::string_view accept_encoding, std::string_view coding) {
  // "gzip, deflate, br;q=1.0, zstd;q=0": each coding, with q=0 meaning no.
  while (!accept_encoding.empty()) {
    auto comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding = comma == std::string_view::npos ? std::string_view{} : accept_encoding.substr(comma + 1);
    auto semi = item.find(';');
    std::string_view name = trim(item.substr(0, semi));
    if (!iequals(name, coding)) continue;
    if (semi == std::string_view::npos) return true;
    std::string_view param = trim(item.substr(semi + 1));
    if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
      std::string_view q = trim(param.substr(2));
      // q=0, q=0.0, q=0.000: refused; anything else is some preference.
      return !(q.size() >= 1 && q[0] == '0' && q.find_first_not_of("0.", 0) == std::string_view::npos);
    }
    return true;
  }
  return false;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  // Weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored; "*" matches.
  auto opaque = [](std::string_view t) {
    t = trim(t);
    if (t.substr(0, 2) == "W/") t.remove_prefix(2);
    return t;
  };
  if (trim(if_none_match) == "*") return true;
  while (!if_none_match.empty()) {
    auto comma = if_none_match.find(',');
    if (opaque(if_none_match.substr(0, comma)) == opaque(etag)) return true;
    if_none_match = comma == std::string_view::npos ? std::string_view{} : if_none_match.substr(comma + 1);
  }
  return false;
}

}  // namespace packline::server
