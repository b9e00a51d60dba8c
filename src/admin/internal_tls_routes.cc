// /system/certificate: the internal TLS certificate (the admin API's and the client proxy's
// HTTPS, and the client certificate towards services), kept in the database (server/proxies.h
// internal_tls). A new key, or a certificate imported for the key (e.g. one a CA issued for
// the CSR of /system/certificate/csr), is presented by the listeners from the server's next
// start; until then they present the previous ones.
#include "admin/endpoints.h"
#include "admin/tar_gz.h"
#include "admin/token_json.h"
#include "crypto/csr.h"
#include "trust/distinguished_name.h"

namespace roadside::admin {

namespace {

Result<crypto::Certificate> internal_certificate(const ServerState& state) {
  ROADSIDE_TRY(auto pem, state.internal_tls());
  return crypto::Certificate::from_pem(pem.second);
}

constexpr std::size_t kMaxChain = 10;
constexpr std::size_t kMaxName = 255;

// The uploaded certificate (DER, or PEM with its chain), first the one for the key.
std::variant<std::vector<crypto::Certificate>, ApiError> uploaded_certificates(const std::string& body) {
  Result<std::vector<crypto::Certificate>> certs = std::vector<crypto::Certificate>{};
  if (body.rfind("-----BEGIN", 0) == 0) {
    certs = crypto::Certificate::all_from_pem(body);
  } else if (auto one = crypto::Certificate::from_der(body); one.ok()) {
    certs->push_back(std::move(one).value());
  } else {
    certs = one.error();
  }
  if (!certs.ok()) return bad_request("invalid_cert", {}, certs.error().detail());
  if (certs->empty() || certs->size() > kMaxChain)
    return bad_request("invalid_cert", {}, "no certificate, or too many");
  return std::move(certs).value();
}

// The key's PEM followed by the imported certificates, after X-Road's checks: the
// certificate is for the internal TLS key, and not the one in use.
std::variant<std::string, ApiError> imported_pem(const ServerState& state, const std::string& body) {
  auto certs = uploaded_certificates(body);
  if (auto* e = std::get_if<ApiError>(&certs)) return *e;
  const auto& chain = std::get<std::vector<crypto::Certificate>>(certs);
  auto current = state.internal_tls();
  if (!current.ok()) return internal_error(current.error());
  auto key = crypto::PrivateKey::from_pem(current->first);
  if (!key.ok()) return internal_error(key.error());
  if (!chain.front().matches_key(*key))
    return bad_request("key_not_found", {}, "the certificate is not for the internal TLS key");
  if (auto in_use = crypto::Certificate::from_pem(current->second);
      in_use.ok() && in_use->sha256_hex() == chain.front().sha256_hex()) {
    return bad_request("certificate_already_exists", {chain.front().sha256_hex()});
  }
  std::string pem = current->first;
  for (const auto& c : chain) pem += c.to_pem();
  return pem;
}

// A DER PKCS#10 request for the internal TLS key with the subject `name` ("C=FI, O=..., CN=...",
// X-Road's BouncyCastle order: the first written is the first in DER).
std::variant<std::string, ApiError> internal_csr(const ServerState& state, const std::string& name) {
  if (name.empty() || name.size() > kMaxName)
    return bad_request("invalid_distinguished_name", {name.substr(0, kMaxName)});
  auto dn = trust::parse_dn(name, trust::DnStringOrder::der);
  if (!dn.ok()) return bad_request("invalid_distinguished_name", {name}, dn.error().detail());
  crypto::SubjectEntries subject;
  for (const auto& a : *dn) subject.emplace_back(a.oid, a.value);
  auto current = state.internal_tls();
  if (!current.ok()) return internal_error(current.error());
  auto key = crypto::PrivateKey::from_pem(current->first);
  if (!key.ok()) return internal_error(key.error());
  auto csr = crypto::make_csr(*key, subject);
  if (!csr.ok()) return bad_request("invalid_distinguished_name", {name}, csr.error().detail());
  return std::move(csr).value();
}

}  // namespace

void add_internal_tls_routes(Api& api, ServerState& state) {
  api.add({Verb::get, "/system/certificate", "view_internal_tls_cert",
           [&state](Request&) -> asio::awaitable<HandlerResult> {
             auto cert = internal_certificate(state);
             if (!cert.ok()) co_return internal_error(cert.error());
             co_return json_response(200, certificate_details_json(*cert));
           },
           false, "", false, "the internal TLS certificate"});
  api.add(
      {Verb::get, "/system/certificate/export", "export_internal_tls_cert",
       [&state](Request&) -> asio::awaitable<HandlerResult> {
         auto cert = internal_certificate(state);
         if (!cert.ok()) co_return internal_error(cert.error());
         // X-Road's archive: the certificate as PEM and as DER.
         const auto made =
             std::chrono::duration_cast<std::chrono::seconds>(cert->not_before().time_since_epoch()).count();
         Response answer{
             200, "application/gzip", tar_gz({{"cert.pem", cert->to_pem()}, {"cert.der", cert->to_der()}}, made), {}};
         answer.headers.emplace_back("Content-Disposition", "attachment; filename=\"certs.tar.gz\"");
         co_return answer;
       },
       false, "", false, "the internal TLS certificate as X-Road's certs.tar.gz (cert.pem, cert.der)"});
  api.add({Verb::post, "/system/certificate", "generate_internal_tls_key_cert",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             if (auto st = state.new_internal_tls(); !st.ok()) co_return internal_error(st.error());
             auto cert = internal_certificate(state);
             if (!cert.ok()) co_return internal_error(cert.error());
             r.audit = {{"certHash", cert->sha256_hex()}, {"certHashAlgorithm", "SHA-256"}};
             co_return empty_response(204);
           },
           true, "Generate new internal TLS key and certificate", false,
           "a new internal TLS key and certificate, presented from the server's next start"});
  api.add({Verb::post, "/system/certificate/csr", "generate_internal_tls_csr",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             const nlohmann::json body = r.json_body().value_or(nlohmann::json());
             const std::string name = json_string(body, "name");
             r.audit = {{"subjectName", name.substr(0, kMaxName)}};
             auto csr = internal_csr(state, name);
             if (auto* e = std::get_if<ApiError>(&csr)) co_return *e;
             Response answer{201, "application/octet-stream", std::move(std::get<std::string>(csr)), {}};
             answer.headers.emplace_back("Content-Disposition", "attachment; filename=\"request.csr\"");
             co_return answer;
           },
           true, "Generate certificate request for TLS", false, "a CSR (DER) for the internal TLS key"});
  api.add({Verb::post, "/system/certificate/import", "import_internal_tls_cert",
           [&state](Request& r) -> asio::awaitable<HandlerResult> {
             auto pem = imported_pem(state, r.body);
             if (auto* e = std::get_if<ApiError>(&pem)) co_return *e;
             if (auto st = state.store_internal_tls(std::get<std::string>(pem)); !st.ok())
               co_return internal_error(st.error());
             auto cert = internal_certificate(state);
             if (!cert.ok()) co_return internal_error(cert.error());
             r.audit = {{"certHash", cert->sha256_hex()}, {"certHashAlgorithm", "SHA-256"}};
             co_return json_response(200, certificate_details_json(*cert));
           },
           true, "Import TLS certificate from file", true,
           "a certificate (DER, or PEM with its chain) for the internal TLS key, presented from the next start"});
}

}  // namespace roadside::admin
