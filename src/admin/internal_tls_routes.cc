// /system/certificate: the internal TLS certificate (the admin API's and the client proxy's
// HTTPS, and the client certificate towards services), kept in the database (server/proxies.h
// internal_tls). A new key and certificate are presented by the listeners from the server's
// next start; until then they present the previous ones.
#include "admin/endpoints.h"
#include "admin/tar_gz.h"
#include "admin/token_json.h"

namespace roadside::admin {

namespace {

Result<crypto::Certificate> internal_certificate(const ServerState& state) {
  ROADSIDE_TRY(auto pem, state.internal_tls());
  return crypto::Certificate::from_pem(pem.second);
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
}

}  // namespace roadside::admin
