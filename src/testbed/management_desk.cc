#include "testbed/management_desk.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/errors.h"
#include "base/files.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "crypto/encoding.h"
#include "management/errors.h"

namespace roadside::testbed {
namespace {

namespace fs = std::filesystem;
using management::RequestType;
using nlohmann::json;

constexpr std::uintmax_t kMaxStateBytes = 64 << 20;

Error refused(std::string detail) {
  return Error(make_error_code(management::errc::invalid_request), std::move(detail));
}
Error bad(std::string detail) {
  return Error(make_error_code(base::errc::invalid_argument), std::move(detail));
}
Error io(std::string detail) {
  return Error(make_error_code(base::errc::io_error), std::move(detail));
}

template <typename T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}
template <typename T>
bool erase(std::vector<T>& v, const T& x) {
  const auto it = std::find(v.begin(), v.end(), x);
  if (it == v.end()) return false;
  v.erase(it);
  return true;
}

std::int64_t unix_seconds(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The members (and member class) a client needs in the instance; a subsystem brings its member.
void ensure_member(globalconf::SharedParameters& shared, const XRoadId& client) {
  const XRoadId member = client.type() == ObjectType::member ? client : client.owner_member();
  const std::string member_class(member.member_class());
  if (!contains(shared.member_classes, member_class)) shared.member_classes.push_back(member_class);
  auto m = std::find_if(shared.members.begin(), shared.members.end(), [&](const auto& x) { return x.id == member; });
  if (m == shared.members.end()) {
    shared.members.push_back({member, std::string(member.member_code()), {}});
    m = shared.members.end() - 1;
  }
  if (client.type() == ObjectType::subsystem && !contains(m->subsystems, client)) m->subsystems.push_back(client);
}

void ensure_owner_in_group(globalconf::SharedParameters& shared, const XRoadId& owner) {
  for (auto& g : shared.global_groups) {
    if (g.id.group_code() == "security-server-owners" && !contains(g.members, owner)) g.members.push_back(owner);
  }
}

globalconf::SecurityServer* find_server(globalconf::SharedParameters& shared, const XRoadId& id) {
  auto it = std::find_if(shared.security_servers.begin(), shared.security_servers.end(),
                         [&](const auto& s) { return s.id == id; });
  return it == shared.security_servers.end() ? nullptr : &*it;
}

Status apply_to(globalconf::SharedParameters& p, const ManagementChange& c) {
  const std::string server_name = c.server.to_string();
  globalconf::SecurityServer* server = find_server(p, c.server);
  if (c.type == RequestType::auth_cert_reg) {
    if (!c.auth_cert_hash) return refused("authCertReg without a certificate");
    if (const auto* other = p.server_by_auth_cert_hash(*c.auth_cert_hash); other && other->id != c.server)
      return refused("the authentication certificate is registered for " + other->id.to_string());
    const XRoadId owner = c.server.owner_member();
    ensure_member(p, owner);
    ensure_owner_in_group(p, owner);
    if (!server) {
      p.security_servers.push_back({c.server, c.address.value_or(""), {}, {}});
      server = &p.security_servers.back();
    } else if (server->address.empty() && c.address) {
      server->address = *c.address;
    }
    if (!contains(server->auth_cert_hashes, *c.auth_cert_hash)) server->auth_cert_hashes.push_back(*c.auth_cert_hash);
    return ok_status();
  }
  if (!server) return refused("security server " + server_name + " is not registered");
  const bool client_type = c.type == RequestType::client_reg || c.type == RequestType::client_deletion ||
                           c.type == RequestType::client_disable || c.type == RequestType::client_enable ||
                           c.type == RequestType::client_rename || c.type == RequestType::owner_change;
  if (client_type && !c.client) return refused(std::string(service_code(c.type)) + " names no client");
  switch (c.type) {
    case RequestType::client_reg:
      ensure_member(p, *c.client);
      server = find_server(p, c.server);  // ensure_member may not move servers, but stay safe
      if (!server->hosts(*c.client)) server->clients.push_back(*c.client);
      return ok_status();
    case RequestType::client_deletion:
      if (!erase(server->clients, *c.client))
        return refused(c.client->to_string() + " is not a client of " + server_name);
      return ok_status();
    case RequestType::auth_cert_deletion:
      if (!c.auth_cert_hash || !erase(server->auth_cert_hashes, *c.auth_cert_hash))
        return refused("the authentication certificate is not registered for " + server_name);
      return ok_status();
    case RequestType::owner_change: {
      if (c.client->type() != ObjectType::member || !contains(server->clients, *c.client))
        return refused("the new owner " + c.client->to_string() + " is not a member client of " + server_name);
      const XRoadId old_owner = server->id.owner_member();
      ROADSIDE_TRY(XRoadId renamed, XRoadId::server(c.client->instance(), c.client->member_class(),
                                                    c.client->member_code(), server->id.server_code()));
      if (find_server(p, renamed)) return refused(renamed.to_string() + " is registered already");
      erase(server->clients, *c.client);
      if (!contains(server->clients, old_owner)) server->clients.push_back(old_owner);
      server->id = renamed;
      ensure_owner_in_group(p, *c.client);
      return ok_status();
    }
    case RequestType::address_change:
      if (!c.address) return refused("addressChange without an address");
      server->address = *c.address;
      return ok_status();
    case RequestType::client_disable:
    case RequestType::client_enable:
    case RequestType::client_rename:
      if (!server->hosts(*c.client)) return refused(c.client->to_string() + " is not a client of " + server_name);
      return ok_status();  // shared parameters carry neither a client's state nor a subsystem's name
    case RequestType::maintenance_mode_enable:
      server->in_maintenance = true;
      server->maintenance_message = c.message.value_or("");
      return ok_status();
    case RequestType::maintenance_mode_disable:
      server->in_maintenance = false;
      server->maintenance_message.clear();
      return ok_status();
    case RequestType::auth_cert_reg:
      break;
  }
  return refused("unknown request type");
}

// flock(2) on DIR/central/lock for as long as it lives: one process at a time reads and
// rewrites requests.json and shared-params.xml.
class StateLock {
 public:
  static Result<StateLock> acquire(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir / "central", ec);
    if (ec) return io("cannot create " + (dir / "central").string() + ": " + ec.message());
    const std::string path = (dir / "central" / "lock").string();
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return io("cannot open " + path + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX) != 0) {
      ::close(fd);
      return io("cannot lock " + path + ": " + std::strerror(errno));
    }
    return StateLock(fd);
  }
  StateLock(StateLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;
  StateLock& operator=(StateLock&&) = delete;
  ~StateLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }

 private:
  explicit StateLock(int fd) : fd_(fd) {}
  int fd_;
};

struct State {
  std::int64_t next_id = 1;
  std::vector<ManagementRecord> records;
};

std::optional<XRoadId> id_field(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
  auto id = XRoadId::parse(j[key].get<std::string>());
  if (!id.ok()) return std::nullopt;
  return *id;
}
std::optional<std::string> text_field(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
  return j[key].get<std::string>();
}

Result<ManagementRecord> record_from_json(const json& j) {
  ManagementRecord r;
  if (!j.is_object() || !j.contains("id") || !j["id"].is_number_integer() || !j.contains("type") ||
      !j["type"].is_string() || !j.contains("state") || !j["state"].is_string())
    return bad("a request without id, type or state");
  r.id = j["id"].get<std::int64_t>();
  auto type = management::request_type_by_service_code(j["type"].get<std::string>());
  auto server = id_field(j, "server");
  if (!type || !server) return bad("request " + std::to_string(r.id) + " has no valid type or server");
  r.state =
      j["state"] == state_name(RequestState::approved) ? RequestState::approved : RequestState::submitted_for_approval;
  r.change.type = *type;
  r.change.server = *server;
  r.change.client = id_field(j, "client");
  r.change.address = text_field(j, "address");
  if (auto h = text_field(j, "auth_cert_hash")) {
    auto raw = crypto::base64_decode(*h);
    if (!raw.ok()) return bad("request " + std::to_string(r.id) + ": auth_cert_hash is not base64");
    r.change.auth_cert_hash = std::move(raw).value();
  }
  r.change.subsystem_name = text_field(j, "subsystem_name");
  r.change.message = text_field(j, "message");
  r.received_at = j.value("received_at", std::int64_t{0});
  r.approved_at = j.value("approved_at", std::int64_t{0});
  return r;
}

Result<State> read_state(const fs::path& dir) {
  const fs::path file = dir / "central" / "requests.json";
  State s;
  if (!fs::exists(file)) return s;
  ROADSIDE_TRY(std::string text, read_file_limited(file, kMaxStateBytes));
  const json j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("next_id") || !j["next_id"].is_number_integer() || !j.contains("requests") ||
      !j["requests"].is_array())
    return bad(file.string() + " is not the testbed's request list");
  s.next_id = j["next_id"].get<std::int64_t>();
  for (const auto& r : j["requests"]) {
    ROADSIDE_TRY(ManagementRecord rec, record_from_json(r));
    s.records.push_back(std::move(rec));
  }
  return s;
}

Status write_state(const fs::path& dir, const State& s) {
  json requests = json::array();
  for (const auto& r : s.records) requests.push_back(to_json(r));
  const json j = {{"next_id", s.next_id}, {"requests", requests}};
  return write_file_atomically(dir / "central" / "requests.json", j.dump(2) + "\n");
}

Result<globalconf::SharedParameters> read_shared(const fs::path& dir) {
  ROADSIDE_TRY(std::string xml, read_file_limited(dir / "globalconf" / "shared-params.xml", kMaxStateBytes));
  return globalconf::SharedParameters::parse(xml);
}

// Applies an approved change to the shared parameters on disk. REQUIRES: the state lock held.
Status apply_on_disk(const fs::path& dir, const ManagementChange& change) {
  ROADSIDE_TRY(globalconf::SharedParameters shared, read_shared(dir));
  ROADSIDE_TRY_STATUS(apply_change(shared, change));
  return write_file_atomically(dir / "globalconf" / "shared-params.xml", shared.to_xml());
}

ManagementAnswer fault(const Error& e) {
  return {500, "text/xml; charset=UTF-8", management::build_fault(e)};
}

}  // namespace

std::string_view state_name(RequestState state) noexcept {
  return state == RequestState::approved ? "APPROVED" : "SUBMITTED_FOR_APPROVAL";
}

ManagementChange change_of(const management::RequestBody& body) {
  ManagementChange c;
  c.type = body.type;
  c.server = body.server;
  c.client = body.client;
  c.address = body.address;
  if (body.auth_cert) c.auth_cert_hash = crypto::sha256(*body.auth_cert);
  c.subsystem_name = body.subsystem_name;
  c.message = body.message;
  return c;
}

Status apply_change(globalconf::SharedParameters& shared, const ManagementChange& change) {
  globalconf::SharedParameters copy = shared;
  ROADSIDE_TRY_STATUS(apply_to(copy, change));
  shared = std::move(copy);
  return ok_status();
}

bool needs_approval(RequestType type) noexcept {
  switch (type) {
    case RequestType::auth_cert_reg:
    case RequestType::client_reg:
    case RequestType::owner_change:
    case RequestType::address_change:
    case RequestType::client_rename:
      return true;
    default:
      return false;
  }
}

json to_json(const ManagementRecord& r) {
  json j = {{"id", r.id},
            {"type", std::string(management::service_code(r.change.type))},
            {"state", std::string(state_name(r.state))},
            {"server", r.change.server.to_string()},
            {"received_at", r.received_at}};
  if (r.approved_at != 0) j["approved_at"] = r.approved_at;
  if (r.change.client) j["client"] = r.change.client->to_string();
  if (r.change.address) j["address"] = *r.change.address;
  if (r.change.auth_cert_hash) j["auth_cert_hash"] = crypto::base64_encode(*r.change.auth_cert_hash);
  if (r.change.subsystem_name) j["subsystem_name"] = *r.change.subsystem_name;
  if (r.change.message) j["message"] = *r.change.message;
  return j;
}

ManagementDesk::ManagementDesk(fs::path dir, bool hold, XRoadId management_service, Clock& clock)
    : dir_(std::move(dir)), hold_(hold), management_service_(std::move(management_service)), clock_(&clock) {}

Result<globalconf::SharedParameters> ManagementDesk::shared_parameters() const {
  return read_shared(dir_);
}

ManagementAnswer ManagementDesk::handle(std::string_view content_type, std::string_view body, bool direct) {
  auto shared = read_shared(dir_);
  if (!shared.ok()) {
    log::error("management request: the shared parameters cannot be read", {{"error", shared.error().detail()}});
    return fault(Error(make_error_code(management::errc::invalid_request), "the central server cannot serve now"));
  }
  const management::VerifyContext context{&*shared, management_service_, clock_->now()};
  auto verified = management::read_request(content_type, body, context);
  if (!verified.ok()) {
    log::info("management request refused", {{"error", verified.error().to_string()}});
    return fault(verified.error());
  }
  const RequestType type = verified->received.request.body.type;
  if (direct != (type == RequestType::auth_cert_reg)) {
    return fault(refused(direct ? "only authCertReg is sent to authCertRegServiceAddress"
                                : "authCertReg goes to authCertRegServiceAddress, not through a security server"));
  }
  auto record = submit(*verified);
  if (!record.ok()) {
    log::info("management request refused", {{"error", record.error().to_string()}});
    return fault(record.error());
  }
  // The SOAP part as received, for whoever checks what a Security Server sent (`testbed
  // requests --soap ID`, the schema tests); the request stands without it.
  if (auto st = write_file_atomically(received_soap_path(record->id), verified->received.soap); !st.ok()) {
    log::warn("cannot keep the request's SOAP part", {{"id", record->id}, {"error", st.error().detail()}});
  }
  // And the whole request as a MIME entity (its Content-Type, then its body), so its parts and
  // signatures can be checked with other tools (openssl).
  auto whole = received_soap_path(record->id).replace_extension(".http");
  if (auto st =
          write_file_atomically(whole, "Content-Type: " + std::string(content_type) + "\r\n\r\n" + std::string(body));
      !st.ok()) {
    log::warn("cannot keep the request", {{"id", record->id}, {"error", st.error().detail()}});
  }
  log::info("management request received", {{"id", record->id},
                                            {"type", std::string(management::service_code(type))},
                                            {"server", record->change.server.to_string()},
                                            {"state", std::string(state_name(record->state))}});
  return {200, "text/xml; charset=UTF-8", management::build_response(verified->received.request, record->id)};
}

std::filesystem::path ManagementDesk::received_soap_path(std::int64_t id) const {
  return dir_ / "central" / "received" / (std::to_string(id) + ".xml");
}

Result<ManagementRecord> ManagementDesk::submit(const management::VerifiedRequest& request) {
  ROADSIDE_TRY(StateLock lock, StateLock::acquire(dir_));
  ROADSIDE_TRY(State state, read_state(dir_));
  ManagementRecord r;
  r.change = change_of(request.received.request.body);
  r.received_at = unix_seconds(clock_->now());
  // Refuse now what could never be applied (as X-Road's admin API refuses it), held or not.
  ROADSIDE_TRY(globalconf::SharedParameters shared, read_shared(dir_));
  ROADSIDE_TRY_STATUS(apply_change(shared, r.change));
  r.id = state.next_id++;
  if (!hold_ || !needs_approval(r.change.type)) {
    ROADSIDE_TRY_STATUS(write_file_atomically(dir_ / "globalconf" / "shared-params.xml", shared.to_xml()));
    r.state = RequestState::approved;
    r.approved_at = r.received_at;
  }
  state.records.push_back(r);
  ROADSIDE_TRY_STATUS(write_state(dir_, state));
  return r;
}

Result<ManagementRecord> ManagementDesk::approve(std::int64_t id) {
  ROADSIDE_TRY(StateLock lock, StateLock::acquire(dir_));
  ROADSIDE_TRY(State state, read_state(dir_));
  auto it = std::find_if(state.records.begin(), state.records.end(), [&](const auto& r) { return r.id == id; });
  if (it == state.records.end()) return bad("no management request " + std::to_string(id));
  if (it->state == RequestState::approved)
    return bad("management request " + std::to_string(id) + " is approved already");
  ROADSIDE_TRY_STATUS(apply_on_disk(dir_, it->change));
  it->state = RequestState::approved;
  it->approved_at = unix_seconds(clock_->now());
  ROADSIDE_TRY_STATUS(write_state(dir_, state));
  return *it;
}

Result<std::vector<ManagementRecord>> ManagementDesk::list() const {
  ROADSIDE_TRY(StateLock lock, StateLock::acquire(dir_));
  ROADSIDE_TRY(State state, read_state(dir_));
  return std::move(state.records);
}

}  // namespace roadside::testbed
