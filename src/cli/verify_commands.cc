// verify-globalconf, verify-asic, verify-archive: flags here, the checks in verify.cc.
#include <memory>

#include "cli/command.h"
#include "cli/verify.h"

namespace roadside::cli {

void add_verify_commands(CLI::App& app, Commands& out) {
  auto gc = std::make_shared<VerifyGlobalconfArgs>();
  auto* verify_gc = app.add_subcommand("verify-globalconf", "Verify a signed global configuration directory and its parts against an anchor");
  verify_gc->add_option("--anchor", gc->anchor, "Configuration anchor XML")->required();
  verify_gc->add_option("directory", gc->directory, "Directory file (e.g. public/V6/internalconf)")->required();
  verify_gc->add_option("--parts", gc->parts, "Folder that Content-location paths are relative to (default: the directory file's grandparent)");
  verify_gc->add_option("--at", gc->at, "Check expiry at this RFC 3339 time instead of now");
  out.push_back({verify_gc, [gc] { return verify_globalconf(*gc); }});

  struct State {
    std::string trust, target, previous_digest;
  };
  auto s = std::make_shared<State>();
  auto* asic = app.add_subcommand("verify-asic", "Verify a signed message container (ASiC-E) from the message log");
  asic->add_option("--trust", s->trust, "The instance's shared-params.xml (approved CAs, OCSP responders, TSAs)")->required();
  asic->add_option("container", s->target, "The .asice file")->required();
  out.push_back({asic, [s] { return verify_asic(s->trust, s->target); }});

  auto* archive = app.add_subcommand("verify-archive", "Verify a message-log archive: its linking chain and every container in it");
  archive->add_option("--trust", s->trust, "The instance's shared-params.xml")->required();
  archive->add_option("archive", s->target, "The archive .zip")->required();
  archive->add_option("--previous-digest", s->previous_digest, "The last digest of the previous archive, which this one must continue (hex)");
  out.push_back({archive, [s] { return verify_archive(s->trust, s->target, s->previous_digest); }});
}

}  // namespace roadside::cli
