// /backups over the server's backups folder: listed, downloaded, deleted, uploaded (only intact
// backups, not over an existing one unless warnings are ignored), restored (its signer vouched for
// by global configuration; what follows a restore told), names checked before any path is made,
// X-Road's permissions, and a backup refused while the token cannot sign.
#include <fstream>

#include <gtest/gtest.h>

#include "admin/admin_test_support.h"
#include "admin/endpoints.h"
#include "admin/roles.h"
#include "crypto/digest.h"
#include "serverconf/revisions.h"
#include "signer/token.h"
#include "support/test_support.h"

namespace roadside::admin {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  roadside::testing::TempDir dir;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<signer::SoftToken> token;
  std::unique_ptr<ServerState> state;
  crypto::PrivateKey key = *crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
  crypto::Certificate cert =
      *crypto::issue_certificate({.common_name = "ss1", .usage = crypto::Usage::tls_client}, key, nullptr, key);
  XRoadId server = *XRoadId::server("DEV", "COM", "1234", "ss1");
  std::shared_ptr<globalconf::SharedParameters> shared;
  int restored = 0;
  Api api;

  Fixture() {
    store = std::make_unique<storage::Store>(std::move(*storage::open_sqlite({dir / "db"})));
    EXPECT_TRUE(store->migrate().ok());
    serverconf::ServerConf conf;
    conf.owner = *XRoadId::member("DEV", "COM", "1234");
    conf.server_code = "ss1";
    EXPECT_TRUE(serverconf::apply(*store, conf, "test").ok());
    token = std::make_unique<signer::SoftToken>(*store);
    state = std::make_unique<ServerState>(ServerState{*store, *token});
    state->backups.dir = dir / "backups";
    state->server_id = [this] { return std::optional<XRoadId>(server); };
    state->shared = [this] { return std::shared_ptr<const globalconf::SharedParameters>(shared); };
    state->restored = [this] { ++restored; };
    add_backup_routes(api, *state);
  }
  // A backup of this server's database, signed with the fixture's key.
  std::string make_backup(const std::string& name) {
    auto made = serverbackup::create_backup(*store, {server, "instance-1", key, cert}, state->backups, name);
    EXPECT_TRUE(made.ok()) << made.error().to_string();
    return roadside::testing::read_file(*made);
  }
  Response call(Verb method, std::string path, std::string body = {}, std::string content_type = {}) {
    Request request{
        .method = method, .path = std::move(path), .content_type = std::move(content_type), .body = std::move(body)};
    if (auto q = request.path.find('?'); q != std::string::npos) {
      request.query[request.path.substr(q + 1, request.path.find('=', q) - q - 1)] =
          request.path.substr(request.path.find('=', q) + 1);
      request.path.resize(q);
    }
    request.caller = {"admin", Roles::all(), AuthKind::local, {}};
    return test_support::run(api, std::move(request));
  }
  static std::string code(const Response& r) {
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
  }
  static std::string multipart(const std::string& filename, const std::string& bytes) {
    return "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename +
           "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + bytes + "\r\n--XyZ--\r\n";
  }
};

constexpr const char* kMultipart = "multipart/form-data; boundary=XyZ";

TEST(BackupRoutes, XRoadsPathsAndPermissions) {
  Fixture f;
  std::map<std::string, std::string> permissions;
  for (const auto& r : f.api.routes()) {
    permissions[std::string(boost::beast::http::to_string(r.method)) + " " + r.path] = r.permission;
    EXPECT_TRUE(known_permission(r.permission)) << r.path;
    EXPECT_EQ(r.changes, !r.event.empty()) << r.path;
  }
  EXPECT_EQ(permissions.size(), 7u);
  EXPECT_EQ(permissions["GET /backups"], "backup_configuration");
  EXPECT_EQ(permissions["POST /backups/upload"], "backup_configuration");
  EXPECT_EQ(permissions["PUT /backups/{filename}/restore"], "restore_configuration");
}

TEST(BackupRoutes, ListDownloadDeleteAndNames) {
  Fixture f;
  EXPECT_EQ(f.call(Verb::get, "/backups").body, "[]");
  const std::string bytes = f.make_backup("conf_backup_20261206-100000.tar");
  auto listed = nlohmann::json::parse(f.call(Verb::get, "/backups").body);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["filename"], "conf_backup_20261206-100000.tar");
  EXPECT_EQ(listed[0]["created_at"].get<std::string>().size(), 24u);

  auto download = f.call(Verb::get, "/backups/conf_backup_20261206-100000.tar/download");
  EXPECT_EQ(download.status, 200u);
  EXPECT_EQ(download.body, bytes);
  EXPECT_EQ(download.content_type, "application/octet-stream");
  // (A name with a '/' matches no route at all.)
  EXPECT_EQ(f.call(Verb::get, "/backups/..%2Fdb/download").status, 404u);
  for (const char* bad : {"/backups/.hidden.tar/download", "/backups/db/download", "/backups/x..tar/download"}) {
    auto r = f.call(Verb::get, bad);
    EXPECT_EQ(r.status, 400u) << bad;
    EXPECT_EQ(Fixture::code(r), "invalid_filename") << bad;
  }
  EXPECT_EQ(Fixture::code(f.call(Verb::get, "/backups/none.tar/download")), "backup_file_not_found");

  EXPECT_EQ(f.call(Verb::delete_, "/backups/conf_backup_20261206-100000.tar").status, 204u);
  EXPECT_EQ(f.call(Verb::delete_, "/backups/conf_backup_20261206-100000.tar").status, 404u);
  EXPECT_TRUE(fs::exists(f.dir / "db"));
}

TEST(BackupRoutes, UploadTakesOnlyIntactBackupsAndWarnsBeforeReplacing) {
  Fixture f;
  const std::string bytes = f.make_backup("conf_backup_20261206-100000.tar");
  fs::remove(f.state->backups.dir / "conf_backup_20261206-100000.tar");
  auto up = f.call(Verb::post, "/backups/upload", Fixture::multipart("uploaded.tar", bytes), kMultipart);
  ASSERT_EQ(up.status, 201u) << up.body;
  EXPECT_EQ(roadside::testing::read_file(f.state->backups.dir / "uploaded.tar"), bytes);
  auto again = f.call(Verb::post, "/backups/upload", Fixture::multipart("uploaded.tar", bytes), kMultipart);
  EXPECT_EQ(again.status, 400u);
  EXPECT_NE(again.body.find("warning_file_already_exists"), std::string::npos) << again.body;
  EXPECT_EQ(
      f.call(Verb::post, "/backups/upload?ignore_warnings=true", Fixture::multipart("uploaded.tar", bytes), kMultipart)
          .status,
      201u);

  std::string changed = bytes;
  changed[changed.size() / 2] ^= 1;
  auto refused = f.call(Verb::post, "/backups/upload", Fixture::multipart("changed.tar", changed), kMultipart);
  EXPECT_EQ(Fixture::code(refused), "invalid_backup_file");
  EXPECT_FALSE(fs::exists(f.state->backups.dir / "changed.tar"));
  EXPECT_EQ(Fixture::code(f.call(Verb::post, "/backups/upload", Fixture::multipart("../x.tar", bytes), kMultipart)),
            "invalid_filename");
  EXPECT_EQ(Fixture::code(f.call(Verb::post, "/backups/upload", bytes, "application/octet-stream")),
            "invalid_backup_file");
}

TEST(BackupRoutes, RestoreNeedsAVouchedSignerAndTellsTheServer) {
  Fixture f;
  f.make_backup("conf_backup_20261206-100000.tar");
  ASSERT_TRUE(f.store->put_setting("internal_tls.pem", "changed after the backup").ok());

  auto unknown = f.call(Verb::put, "/backups/conf_backup_20261206-100000.tar/restore");
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_EQ(Fixture::code(unknown), "backup_signer_unknown");
  EXPECT_EQ(f.restored, 0);

  f.shared = std::make_shared<globalconf::SharedParameters>();
  f.shared->security_servers.push_back({f.server, "127.0.0.1", {crypto::sha256(f.cert.to_der())}, {}});
  auto ok = f.call(Verb::put, "/backups/conf_backup_20261206-100000.tar/restore");
  ASSERT_EQ(ok.status, 200u) << ok.body;
  EXPECT_EQ(nlohmann::json::parse(ok.body)["hsm_tokens_logged_out"], false);
  EXPECT_EQ(f.restored, 1);
  EXPECT_EQ(*f.store->get_setting("internal_tls.pem"), std::nullopt);  // as it was at the backup

  // A backup of another server is refused here (the API has no --force).
  f.server = *XRoadId::server("DEV", "COM", "1234", "ss9");
  auto other = f.call(Verb::put, "/backups/conf_backup_20261206-100000.tar/restore");
  EXPECT_EQ(Fixture::code(other), "backup_of_other_server");
  EXPECT_EQ(f.restored, 1);
}

TEST(BackupRoutes, CreateNeedsTheTokenLoggedIn) {
  Fixture f;
  auto r = f.call(Verb::post, "/backups");
  EXPECT_EQ(r.status, 409u) << r.body;
  EXPECT_EQ(Fixture::code(r), "token_not_active");
  EXPECT_EQ(f.call(Verb::get, "/backups").body, "[]");
}

}  // namespace
}  // namespace roadside::admin
