// Secured panels end to end: the real packline-server and the packline CLI, replicas
// sealed at rest (PACKLINE_PASSPHRASE). A clerk founds a secured panel and
// invites a member; afterwards neither the server's data folder nor the
// devices' folders hold any marker the members typed; a wrong passphrase and
// a damaged replica are reported; a removed member is refused by the server.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/cli_run.hpp"
#include "support/server_process.hpp"

using namespace packline::test;

namespace {

run_result cli(const temp_dir& tmp, const std::string& device, const std::vector<std::string>& args,
               const std::string& passphrase = "correct horse battery staple") {
  run_result r = run_cli(PACKLINE_CLI_BIN, tmp.sub(device), args, tmp.sub("stderr.txt"),
                         "PACKLINE_PASSPHRASE=" + shell_quote(passphrase) + " ");
  REQUIRE(r.code != -1);
  return r;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

TEST_CASE("crypto e2e: server-blind, sealed at rest, wrong passphrase, damaged replica, removed member") {
  temp_dir tmp;
  server_process srv(tmp.sub("data"), tmp.sub("server.log"));
  REQUIRE_MESSAGE(srv.start(), srv.error());
  std::string url = "ws://127.0.0.1:" + std::to_string(srv.port());

  auto f = cli(tmp, "clerk", {"found", "--server", url, "--name", "Dana MARKER-CLERK-NAME", "--role", "clerk"});
  REQUIRE_MESSAGE(f.code == 0, f.err);
  auto inv = cli(tmp, "clerk", {"invite", "Tom MARKER-MEMBER-NAME", "member"});
  REQUIRE_MESSAGE(inv.code == 0, inv.err);
  std::string code = trim(inv.out);
  CHECK(code.size() == 96);
  REQUIRE(cli(tmp, "clerk", {"sync"}).code == 0);

  auto j = cli(tmp, "member", {"join", "--server", url, "--invite", code});
  REQUIRE_MESSAGE(j.code == 0, j.err);
  CHECK(j.out.find("(member)") != std::string::npos);
  auto ms = cli(tmp, "member", {"members"});
  REQUIRE(ms.code == 0);
  CHECK(ms.out.find("Dana MARKER-CLERK-NAME") != std::string::npos);  // decrypted on the member's device
  std::string member_id = trim(j.out.substr(j.out.find("member ") + 7, 32));

  // The invite is single use: a second device cannot redeem it.
  auto again = cli(tmp, "thief", {"join", "--server", url, "--invite", code});
  CHECK(again.code != 0);

  // Wrong passphrase: a clear error, nothing changed.
  auto wrong = cli(tmp, "member", {"members"}, "not my passphrase");
  CHECK(wrong.code != 0);
  CHECK(wrong.err.find("passphrase") != std::string::npos);

  // A damaged replica: reported, kept aside, and the last good state used.
  {
    std::string path = tmp.sub("member") + "/replica.db";
    std::fstream fs(path, std::ios::in | std::ios::out | std::ios::binary);
    fs.seekp(200);
    char c = 0;
    fs.read(&c, 1);
    fs.seekp(200);
    c ^= 0x5a;
    fs.write(&c, 1);
  }
  auto damaged = cli(tmp, "member", {"members"});
  CHECK(damaged.code == 0);
  INFO(damaged.err);
  CHECK(damaged.err.find("altered") != std::string::npos);
  CHECK(damaged.err.find("nothing was overwritten") != std::string::npos);
  CHECK(damaged.err.find("replica.db.bak") != std::string::npos);

  // Removal: the clerk removes the member; the server refuses the member's device.
  auto rm = cli(tmp, "clerk", {"remove", member_id});
  REQUIRE_MESSAGE(rm.code == 0, rm.err);
  REQUIRE(cli(tmp, "clerk", {"sync"}).code == 0);
  auto refused = cli(tmp, "member", {"sync"});
  CHECK(refused.code != 0);
  CHECK_MESSAGE(refused.err.find("removed") != std::string::npos, refused.err);

  // Server-blind and sealed at rest: no marker anywhere on disk.
  CHECK(srv.terminate() == 0);
  for (const char* dir : {"data", "clerk", "member"}) {
    std::string bytes = slurp_dir(tmp.sub(dir));
    CHECK_MESSAGE(bytes.size() > 1000, dir);
    CHECK_MESSAGE(bytes.find("MARKER-") == std::string::npos, dir);
  }
}
