// Maps request targets to files of the built webapp (Vite's dist folder):
// safe path resolution, content types and cache policy. Pure functions on
// strings and the file system; no networking, so they are unit-testable.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace packline::server {

struct static_file {
  std::string path;           // absolute or root-relative file system path to serve
  std::string content_type;
  std::string cache_control;
};

// The URL path of a target: query and fragment removed, %XX decoded. Empty
// when the target is unsafe (not absolute, "..", NUL, backslash, bad escape).
std::string decode_target_path(std::string_view target);

// Content type for a file name (by extension); application/octet-stream if unknown.
std::string_view content_type_for(std::string_view file_name);

// no-cache for the app shell (index.html, sw.js, manifest) so a deploy is seen
// at the next load; long-lived for Vite's content-hashed assets/.
std::string_view cache_control_for(std::string_view url_path);

// Headers every HTTP response carries (the app, its files, errors, metrics):
// a Content-Security-Policy that fits the webapp (its own scripts, workers
// and WASM, which needs 'wasm-unsafe-eval'; connections to its own origin;
// never framed), no MIME sniffing, no referrer leaving the origin.
struct header {
  std::string_view name, value;
};
const std::array<header, 4>& security_headers();

// The file for a GET of `target` under `root`: "/" and directories serve
// their index.html; a missing path without an extension serves the root
// index.html (client-side routes); nullopt means 404.
std::optional<static_file> resolve_static(const std::string& root, std::string_view target);

}  // namespace packline::server
