#include "proxy/server_proxy.h"

#include <boost/beast/http/field.hpp>

#include "base/log.h"
#include "base/random.h"
#include "crypto/crypto.h"
#include "envmon/request.h"
#include "mime/multipart.h"
#include "net/errors.h"
#include "proxy/env_monitoring.h"
#include "proxy/logging.h"
#include "proxy/op_monitoring.h"
#include "proxy/op_record.h"
#include "proxy/rest.h"
#include "proxy/rest_heads.h"
#include "proxy/service_transport.h"
#include "proxy/soap.h"
#include "proxy/transport.h"
#include "trust/errors.h"
#include "xml/dom.h"
#include "xml/errors.h"
#include "xml/identifier_xml.h"
#include "xml/xades.h"

namespace roadside::proxy {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

Error fail(errc e, std::string detail) {
  return Error(make_error_code(e), std::move(detail));
}

// A failed call to a service, in words that name no URL or address (net errors name both).
std::string failure_kind(const Error& cause, std::chrono::milliseconds timeout) {
  if (cause.code().category() != net::net_category()) return "the call failed";
  switch (static_cast<net::errc>(cause.code().value())) {
    case net::errc::timeout:
      return "it made no progress for " + std::to_string(timeout.count()) + " ms";
    case net::errc::connect_failed:
      return "no connection could be made";
    case net::errc::tls_failed:
      return "the TLS handshake failed";
    case net::errc::protocol_error:
      return "its answer was not a valid HTTP response";
    case net::errc::too_large:
      return "its answer was over the size limit";
    case net::errc::closed:
      return "it closed the connection";
    case net::errc::cancelled:
      return "the call was cancelled";
    case net::errc::bad_url:
      return "its URL is not usable";
    case net::errc::connect_timeout:
      return "no connection could be made in time";
    case net::errc::no_space:
      return "its answer did not fit in the spool space";
    case net::errc::overloaded:
      return "this server is busy";
    case net::errc::unknown_host:
      return "its host name does not resolve";
  }
  return "the call failed";
}

// The access check, in one place for every way a service is reached: `client` may call
// `service` by the rights of the server configuration in `snap` (global groups from its
// global configuration). A SOAP service, getWsdl and getOpenAPI ask for the service as a
// whole; a REST call for its method on its normalised path.
Error access_denied(const XRoadId& client, const XRoadId& service, const std::string& what = {}) {
  return fail(errc::access_denied,
              "request is not allowed: " + client.to_string() + " may not call " + service.to_string() + what);
}

Status check_service_access(const Snapshot& snap, const XRoadId& client, const XRoadId& service) {
  if (snap.conf->allowed_service(client, service, snap.shared.get())) return {};
  return access_denied(client, service);
}

Status check_rest_access(const Snapshot& snap, const XRoadId& client, const XRoadId& service, const std::string& method,
                         const std::string& path) {
  if (snap.conf->allowed(client, service, method, path, snap.shared.get())) return {};
  return access_denied(client, service, " " + method + " " + path);
}

// After the access check, as X-Road's: a disabled service is refused with its notice, so
// only a client that may call it learns why it is off.
Status check_service_enabled(const serverconf::Service& service) {
  if (!service.disabled) return {};
  return fail(errc::service_disabled, "service " + service.id.to_string() + " is disabled: " + service.disabled_text());
}

// The signed response to the client's server: 200, the transport message sent from its pieces.
Reply signed_reply(EncodedMessage encoded, unsigned version) {
  Reply r;
  r.head.result(http::status::ok);
  r.head.version(version);
  r.head.set(http::field::content_type, encoded.content_type);
  r.head.set(http::field::server, "Roadside");
  r.head.set(kHashAlgorithmHeader, "SHA-512");
  r.body = std::move(encoded.pieces);
  return r;
}

// process_rest()'s steps between its suspensions.

// What a REST request from another server names.
struct ServedRestCall {
  RestRequestHead head;
  RestTarget target;
  XRoadId client;
  std::string client_text;  // X-Road-Client as sent
  std::string query_id;     // X-Road-Id
  std::string request_id;   // X-Road-Request-Id
};

// The call `request`'s REST head names, or errc::invalid_message and the like; `op` learns
// what is known.
Result<ServedRestCall> served_rest_call(const TransportMessage& request, opmon::OpRecord& op) {
  ServedRestCall call;
  ROADSIDE_TRY(call.head, RestRequestHead::parse(request.message));
  op.rest_method = call.head.method;
  auto target = parse_rest_target(call.head.target);
  if (!target.ok()) return fail(errc::invalid_message, "the request names no service: " + target.error().detail());
  call.target = std::move(target).value();
  set_service(op, call.target.service);
  op.rest_path = call.target.path;
  const auto client_text = last_header(call.head.headers, "X-Road-Client");
  if (!client_text) return fail(errc::missing_header_field, "the request has no X-Road-Client header");
  call.client_text = *client_text;
  auto client = parse_rest_client(call.client_text);
  if (!client.ok()) return fail(errc::invalid_message, "X-Road-Client: " + client.error().detail());
  call.client = std::move(client).value();
  set_client(op, call.client);
  call.query_id = last_header(call.head.headers, "x-road-id").value_or("");
  call.request_id = last_header(call.head.headers, "x-road-request-id").value_or("");
  set_message_ids(op, call.query_id, last_header(call.head.headers, "x-road-userid").value_or(""),
                  last_header(call.head.headers, "x-road-issue").value_or(""));
  op.x_request_id = call.request_id;
  op.request_size = static_cast<std::int64_t>(request.body ? request.body->size() : 0);
  op.request_attachment_count = 0;
  return call;
}

// The REST response (unsigned) for the service's `answer` to `request`: the service's status,
// reason and headers (less hop-by-hop and X-Road's own), then X-Road's headers; its body is
// moved from `answer`. `op` learns the status and size.
Result<TransportMessage> rest_response(net::ClientResponse& answer, const TransportMessage& request,
                                       const ServedRestCall& call, opmon::OpRecord& op) {
  op.status_code = answer.message.result_int();
  // The response header part, X-Road's headers last.
  auto part = response_part(answer.message);
  if (!part.ok())
    return Error(part.error().code(), "service " + call.target.service.to_string() + " " + part.error().detail());
  RestResponseHead& rh = *part;
  std::optional<std::string> body_digest;
  if (request.body) {
    ROADSIDE_TRY(body_digest, request.body_digest(crypto::kSha512Uri));  // known from the signature check
  }
  const std::string request_hash = rest_request_hash_of_digest(request.message, body_digest);
  rh.headers.push_back({"x-road-id", call.query_id});
  rh.headers.push_back({"x-road-client", call.client_text});
  rh.headers.push_back({"x-road-service", *to_rest_path(call.target.service)});
  rh.headers.push_back({"x-road-request-id", call.request_id});
  rh.headers.push_back({"x-road-request-hash", request_hash});

  TransportMessage response;
  response.message_type = std::string(kRestResponseType);
  response.message = rh.serialize();
  if (answer.spooled_body) {
    response.body = std::move(*answer.spooled_body);
  } else if (!answer.message.body().empty()) {
    response.body = net::Payload(std::move(answer.message.body()));
  }
  op.response_size = static_cast<std::int64_t>(response.body ? response.body->size() : 0);
  op.response_attachment_count = 0;
  return response;
}

}  // namespace

Fault fault_for_peer(const Fault& logged, const Error& cause) {
  // The modules whose errors speak of the message itself; the others (the network, storage,
  // files, configuration) speak of this server: a spool folder, a database, a backend address.
  Fault sent = logged;
  // Why this server's configuration is outdated names its cache folder and its Central
  // Servers; the peer learns only that it is (and this is said before the peer is checked).
  if (cause.code() == make_error_code(errc::global_conf_outdated)) {
    sent.message = "the provider's Security Server has no valid global configuration";
    return sent;
  }
  // A monitoring query's refusal names what in the query is wrong (X-Road's messages), and
  // a busy server says it is busy.
  if (cause.code() == opmon::make_error_code(opmon::errc::invalid_request) ||
      cause.code() == envmon::make_error_code(envmon::errc::invalid_request) ||
      cause.code() == make_error_code(net::errc::overloaded)) {
    return logged;
  }
  const std::error_category& c = cause.code().category();
  if (&c == &proxy_category() || &c == &service_failed_category() || &c == &xml::xml_category() ||
      &c == &mime::mime_category() || &c == &crypto::crypto_category() || &c == &globalconf::globalconf_category() ||
      &c == &trust::trust_category()) {
    return logged;
  }
  sent.message = "internal error of the provider's Security Server (logged as fault " + logged.detail + ")";
  return sent;
}

Error service_error(const serverconf::Service& service, const Error& cause) {
  const std::string code = cause.fault_code();
  const errc e = code == "network_error"               ? errc::service_network_error
                 : code == "unknown_host"              ? errc::service_unknown_host
                 : code == "ssl_authentication_failed" ? errc::service_tls_failed
                 : code == "invalid_message"           ? errc::service_invalid_response
                                                       : errc::service_failed;
  log::warn("service call failed", {{"component", "serverproxy"},
                                    {"service", service.id.to_string()},
                                    {"url", service.url},
                                    {"error", cause.detail()}});
  return fail(e, "service " + service.id.to_string() + " failed: " + failure_kind(cause, service.timeout));
}

ServerProxy::ServerProxy(asio::io_context&, ProxyContext ctx)
    : ctx_(std::move(ctx)),
      ok_(ctx_.metrics->counter("roadside_messages_total", "Messages processed, by proxy and result",
                                {{"proxy", "server"}, {"result", "ok"}})),
      failed_(ctx_.metrics->counter("roadside_messages_total", "Messages processed, by proxy and result",
                                    {{"proxy", "server"}, {"result", "fault"}})) {}

asio::awaitable<void> ServerProxy::handle(net::ServerExchange& ex) {
  const auto started = ctx_.clock->steady_now();
  opmon::OpRecord op;  // the message's operational data
  op.security_server_type = "Producer";
  set_internal_ip(op, ex.peer().local);
  op.request_in_ts = unix_ms(*ctx_.clock);
  // This server's span, in the client's server's trace when it sent one.
  const auto parent = tracing::parse_traceparent(ex.request()["traceparent"]);
  const tracing::TraceContext trace = tracing::start_span(parent);
  auto result = co_await process(ex, &op, &trace);
  if (ex.responded()) co_return;
  const bool monitored = ex.request().method() == http::verb::post;
  if (result.ok()) {
    ok_.inc();
    if (monitored) record_message(ctx_, std::move(op), nullptr, trace, parent, "server proxy");
    (void)co_await ex.respond_payload(std::move(result->head), std::move(result->body));
    co_return;
  }
  failed_.inc();
  const Fault f = make_fault(result.error(), Side::server_proxy);
  if (monitored) record_message(ctx_, std::move(op), &f, trace, parent, "server proxy");
  log::warn(
      "request refused",
      {{"component", "serverproxy"},
       {"code", f.code},
       {"error", f.message},
       {"detail", f.detail},
       {"peer", ex.peer().remote.address().to_string()},
       {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(ctx_.clock->steady_now() - started).count()}});
  auto r = net::make_response(http::status::internal_server_error, soap_fault_xml(fault_for_peer(f, result.error())),
                              "text/xml; charset=UTF-8", ex.request().version());
  (void)co_await ex.respond(std::move(r));
}

asio::awaitable<Result<Reply>> ServerProxy::process(net::ServerExchange& ex, opmon::OpRecord* op,
                                                     const tracing::TraceContext* trace) {
  const auto& req = ex.request();
  if (req.method() != http::verb::post) co_return fail(errc::invalid_http_method, "the server proxy accepts only POST");
  const Snapshot snap = ctx_.snapshot();
  if (!snap.shared) co_return fail(errc::global_conf_outdated, snap.globalconf_problem);
  if (!snap.conf) co_return fail(errc::server_not_configured, "this server has no configuration applied");
  // A logged-out token cannot sign the answer: refuse before any service is called.
  if (auto auth = ctx_.keys->auth_key(); !auth.ok()) co_return auth.error();

  // The peer: its TLS certificate is registered (asked before the body is read; the whole
  // peer check, proxy::trust_peer, once the request's OCSP responses are known). The handshake only made it
  // present one (the 5500 listener has no CA, so any certificate passes TLS): it is judged
  // here, so a refused peer gets a fault that says why.
  // Without TLS between servers (X-Road's proxy.ssl-enabled=false, for tests) there is no
  // peer to check: only the message's signature says who sent it.
  const auto& chain = ex.peer().chain;
  Result<RegisteredPeer> peer = Error();
  if (ctx_.peers_over_tls) {
    if (chain.empty()) co_return fail(errc::ssl_auth_failed, "the peer presented no authentication certificate");
    peer = registered_peer(chain.front(), *snap.shared);
    if (!peer.ok()) co_return peer.error();
  }

  auto body = co_await ex.read_body_payload(ctx_.max_message_bytes, ctx_.spool_dir, kSpoolAbove);
  if (!body.ok()) co_return body.error();
  auto request = decode_transport(std::string(req[http::field::content_type]), *body, kMaxParsedBytes);
  if (!request.ok()) co_return request.error();
  *body = net::Payload();  // decoded into `request` (a spooled body's parts keep its file): not held twice

  // The peer's certificate is good: its OCSP responses travel in the request.
  const globalconf::SecurityServer* sender = nullptr;
  if (ctx_.peers_over_tls) {
    if (auto trusted = trust_peer(*peer, chain, request->ocsp_responses, *snap.shared, *ctx_.trust, snap.now);
        !trusted.ok()) {
      co_return fail(errc::ssl_auth_failed, trusted.error().detail());
    }
    sender = peer->server;
  }

  if (sender) op->client_security_server_address = sender->address;
  const auto type = mime_type_of(request->message_type);
  if (type == kRestRequestType) co_return co_await process_rest(ex, *request, sender, &snap, op, trace);
  if (type == "text/xml" || type == "application/xop+xml") {
    co_return co_await process_soap(ex, *request, sender, &snap, op, trace);
  }
  co_return fail(errc::invalid_message, "a transport message carrying \"" + type + "\" is neither SOAP nor REST");
}

Status ServerProxy::verify_sender(const TransportMessage& request, const XRoadId& client,
                                  const globalconf::SecurityServer* sender, const Snapshot& snap) const {
  // The sending server hosts the client: exactly this client, in the global configuration.
  // (No sender only without TLS between servers; with it, none is a bug: refuse.)
  if (!sender && ctx_.peers_over_tls) return fail(errc::ssl_auth_failed, "the calling security server is not known");
  if (sender && !sender->hosts(client))
    return fail(errc::ssl_auth_failed,
                "security server " + sender->id.to_string() + " does not host client " + client.to_string());
  // The signature is the client's.
  ROADSIDE_TRY_STATUS(ctx_.trust->verify_message(request.signature.signature, request.signed_message(), *snap.shared,
                                                 {client, snap.now}));
  return {};
}

asio::awaitable<Result<TransportMessage>> ServerProxy::sign_response(TransportMessage response, XRoadId provider) {
  auto key = ctx_.keys->signing_key(provider);
  if (!key.ok()) co_return key.error();
  signer::MessageParts parts{response.message, {}};
  auto digests = response.attachment_digests();
  if (!digests.ok()) co_return digests.error();
  parts.attachment_digests = std::move(digests).value();
  auto signed_parts = co_await ctx_.signer->sign(*key, std::move(parts));
  if (!signed_parts.ok()) co_return signed_parts.error();
  response.signature = std::move(signed_parts).value();
  co_return response;
}

asio::awaitable<Result<Reply>> ServerProxy::process_soap(net::ServerExchange& ex, TransportMessage& request,
                                                         const globalconf::SecurityServer* sender,
                                                         const Snapshot* snap, opmon::OpRecord* op, const tracing::TraceContext* trace) {
  auto env = parse_soap(request.message, true);
  if (!env.ok()) co_return env.error();
  const XRoadId client = *env->header.client;
  const XRoadId service_id = *env->header.service;
  set_client(*op, client);
  set_service(*op, service_id);
  set_message_ids(*op, env->header.id, env->header.user_id, env->header.issue);
  op->message_protocol_version = env->header.protocol_version;
  op->x_request_id = std::string(ex.request()["x-road-request-id"]);
  op->request_size = static_cast<std::int64_t>(request.message.size());
  op->request_attachment_count = static_cast<std::int64_t>(request.attachments.size());
  if (auto st = verify_sender(request, client, sender, *snap); !st.ok()) co_return st.error();
  // A request that names its security server is for this one only (X-Road's verifySecurityServer,
  // which runs while the request is decoded: its code is under service_failed.).
  if (env->header.security_server && !(*env->header.security_server == snap->conf->server_id())) {
    co_return service_failed(errc::invalid_security_server, "the request is for security server " +
                                                                env->header.security_server->to_string() +
                                                                ", this is " + snap->conf->server_id().to_string());
  }
  const LogIds log_ids{env->header.id, std::string(ex.request()["x-road-request-id"]), service_id.service_provider(),
                       service_id.service_provider(), true};

  Result<SoapMessage> incoming = Error();
  const serverconf::Service* service = snap->conf->service(service_id);
  if (env_monitoring_served(ctx_, *snap, service_id)) {
    // (X-Road's proxymonitor: not message-logged.)
    incoming = co_await answer_env_monitoring(ctx_, *snap, request.message, client);
  } else if (op_monitoring_served(ctx_, *snap, service_id)) {
    // X-Road's handler comes before any service of the same code.
    if (auto st = co_await log_message(ctx_.message_log, request, log_ids, false); !st.ok()) co_return st.error();
    // (Named: GCC 12 destroys some temporaries of a co_await expression twice.)
    OpMonitoringRequest query{request.message, client, service_id.service_code(), env->header.security_server};
    incoming = co_await answer_op_monitoring(ctx_, *snap, std::move(query));
  } else if (!service && is_soap_metaservice(service_id.service_code())) {
    if (auto st = co_await log_message(ctx_.message_log, request, log_ids, false); !st.ok()) co_return st.error();
    incoming = co_await soap_metaservice(request, client, service_id, snap);
  } else {
    incoming = co_await call_soap_service(ex, request, client, service_id, snap, &log_ids, op, trace);
  }
  if (!incoming.ok()) co_return incoming.error();
  op->response_size = static_cast<std::int64_t>(incoming->soap.size());
  op->response_attachment_count = static_cast<std::int64_t>(incoming->attachments.size());
  auto renv = parse_soap(incoming->soap, false);
  if (!renv.ok())
    co_return service_failed(renv.error(),
                             "service " + service_id.to_string() + " answered with a malformed SOAP message: ");
  TransportMessage response;
  response.message_type = incoming->soap_content_type;
  response.message_headers = std::move(incoming->soap_part_headers);
  response.attachments = std::move(incoming->attachments);
  if (renv->is_fault) {
    // The service's own fault, passed on: its code as the service wrote it.
    if (auto fault = parse_soap_fault(incoming->soap)) {
      set_fault(*op, fault->original_code, fault->message);
    } else {
      op->succeeded = false;
    }
    response.message = std::move(incoming->soap);
  } else {
    auto with_hash = insert_request_hash(incoming->soap, soap_request_hash(request.message));
    if (!with_hash.ok())
      co_return fail(errc::service_invalid_response,
                     "service " + service_id.to_string() + ": " + with_hash.error().detail());
    response.message = std::move(with_hash).value();
  }
  auto signed_response = co_await sign_response(std::move(response), service_id.service_provider());
  if (!signed_response.ok()) co_return signed_response.error();
  if (auto st = co_await log_message(ctx_.message_log, *signed_response, log_ids, true); !st.ok()) co_return st.error();
  Reply r = signed_reply(encode_transport(*signed_response), ex.request().version());
  r.head.set("x-original-content-type", incoming->content_type);
  co_return r;
}

asio::awaitable<Result<SoapMessage>> ServerProxy::call_soap_service(net::ServerExchange& ex, TransportMessage& request,
                                                                    XRoadId client, XRoadId service_id,
                                                                    const Snapshot* snap, const LogIds* log_ids,
                                                                    opmon::OpRecord* op, const tracing::TraceContext* trace) {
  const serverconf::Service* service = snap->conf->service(service_id);
  if (!service) co_return fail(errc::unknown_service, "unknown service " + service_id.to_string());
  op->service_type = service_type_name(service->type);
  // A REST service's rights are per method and path: a SOAP call has neither (X-Road refuses it).
  if (service->type != serverconf::ServiceType::wsdl) {
    co_return fail(errc::service_type,
                   "service " + service_id.to_string() + " is a REST service and cannot be called using SOAP");
  }
  if (auto st = check_service_access(*snap, client, service_id); !st.ok()) co_return st.error();
  if (auto st = check_service_enabled(*service); !st.ok()) co_return st.error();
  // Logged once it is known to be taken, before the service sees it.
  if (auto st = co_await log_message(ctx_.message_log, request, *log_ids, false); !st.ok()) co_return st.error();
  // The message as the client's IS sent it.
  const auto& req = ex.request();
  SoapMessage outgoing;
  outgoing.content_type = std::string(req["x-original-content-type"]);
  if (outgoing.content_type.empty()) outgoing.content_type = request.message_type;
  outgoing.soap_content_type = request.message_type;
  outgoing.soap_part_headers = request.message_headers;
  outgoing.soap = request.message;
  outgoing.attachments = request.attachments;
  outgoing.multipart = !outgoing.attachments.empty() || mime_type_of(outgoing.content_type) == "multipart/related";
  if (!outgoing.multipart) outgoing.content_type = outgoing.soap_content_type;
  auto url = net::Url::parse(service->url);
  if (!url.ok()) co_return service_error(*service, url.error());
  // The body from its pieces: the attachments from where they arrived (a spool file for a
  // large message), never joined in memory.
  http::request_header<> call;
  call.method(http::verb::post);
  call.target(url->target);
  call.version(11);
  call.set(http::field::content_type, outgoing.content_type);
  if (auto action = req.find("x-original-soapaction"); action != req.end()) call.set("SOAPAction", action->value());
  call.set("traceparent", trace->traceparent());
  // The answer's Content-Type is judged before its body is read (as X-Road's): a service
  // that answers something else is not waited for.
  auto soap_head = [](const http::response_header<>& head) {
    return check_soap_content_type(head[http::field::content_type]);
  };
  op->request_out_ts = unix_ms(*ctx_.clock);
  auto answer = co_await ctx_.services->send(*url, std::move(call), soap_message_pieces(outgoing), service->timeout,
                                             service_tls(*snap->conf, *service), soap_head);
  op->response_in_ts = unix_ms(*ctx_.clock);
  if (!answer.ok() && answer.error().code() == make_error_code(errc::invalid_content_type)) {
    co_return service_failed(answer.error(), "service " + service_id.to_string() + " answered: ");
  }
  if (!answer.ok()) co_return service_error(*service, answer.error());
  const std::string answer_type(answer->message[http::field::content_type]);
  // An answer over kSpoolAbove waits in a spool file: its envelope is read, its attachments stay there.
  net::Payload answer_body =
      answer->spooled_body ? std::move(*answer->spooled_body) : net::Payload(std::move(answer->message.body()));
  auto incoming = split_soap_message(answer_type, std::move(answer_body));
  if (!incoming.ok()) {
    co_return service_failed(incoming.error(), "service " + service_id.to_string() + " answered HTTP " +
                                                   std::to_string(answer->message.result_int()) +
                                                   " without a SOAP message: ");
  }
  co_return incoming;
}

asio::awaitable<Result<SoapMessage>> ServerProxy::soap_metaservice(TransportMessage& request, XRoadId client,
                                                                   XRoadId service_id, const Snapshot* snap) {
  const XRoadId provider = service_id.service_provider();
  const std::string code(service_id.service_code());
  if (code == "listMethods" || code == "allowedMethods") {
    const auto services =
        listed_services(*snap->conf, provider, true, code == "allowedMethods" ? &client : nullptr, snap->shared.get());
    co_return soap_answer(request.message, soap_service_list(code, services));
  }
  // getWsdl: the WSDL of a service the client may call, as an attachment.
  auto wanted = get_wsdl_target(request.message);
  if (!wanted.ok()) co_return wanted.error();
  auto target = XRoadId::service(provider.instance(), provider.member_class(), provider.member_code(),
                                 provider.subsystem_code(), wanted->first, wanted->second);
  if (!target.ok()) co_return fail(errc::invalid_body, "getWsdl: " + target.error().detail());
  const serverconf::Service* service = snap->conf->service(*target);
  if (!service || service->type != serverconf::ServiceType::wsdl)
    co_return fail(errc::unknown_service, "unknown service " + target->to_string());
  if (auto st = check_service_access(*snap, client, *target); !st.ok()) co_return st.error();
  auto wsdl = co_await ctx_.services->get(service->wsdl_url, service->timeout, service_tls(*snap->conf, *service));
  if (!wsdl.ok()) co_return service_error(*service, wsdl.error());
  if (wsdl->message.result_int() != 200) {
    co_return fail(errc::service_invalid_response, "the WSDL of " + target->to_string() + " answered HTTP " +
                                                       std::to_string(wsdl->message.result_int()));
  }
  std::string body = "<xrd:getWsdlResponse xmlns:xrd=\"" + std::string(xml::kXRoadNs) + "\"><xrd:serviceCode>" +
                     xml::escape(wanted->first) + "</xrd:serviceCode>";
  if (!wanted->second.empty()) body += "<xrd:serviceVersion>" + xml::escape(wanted->second) + "</xrd:serviceVersion>";
  body += "</xrd:getWsdlResponse>";
  auto rewritten = rewrite_wsdl_endpoints(wsdl->message.body());
  if (!rewritten.ok())
    co_return fail(errc::service_invalid_response,
                   "the WSDL of " + target->to_string() + ": " + rewritten.error().detail());
  auto out = soap_answer(request.message, body);
  if (!out.ok()) co_return out.error();
  attach(*out, {{"Content-Type", "text/xml; charset=UTF-8"}, {"Content-ID", "<wsdl>"}},
         net::Payload(std::move(rewritten).value()));
  co_return out;
}

asio::awaitable<Result<net::ClientResponse>> ServerProxy::rest_metaservice(RestTarget target, XRoadId client,
                                                                           const Snapshot* snap) {
  const XRoadId provider = target.service.service_provider();
  const std::string code(target.service.service_code());
  net::ClientResponse out;
  out.message.result(http::status::ok);
  out.message.version(11);
  if (code == "listMethods" || code == "allowedMethods") {
    const auto services =
        listed_services(*snap->conf, provider, false, code == "allowedMethods" ? &client : nullptr, snap->shared.get());
    out.message.set(http::field::content_type, "application/json");
    out.message.body() = rest_service_list(services);
    co_return out;
  }
  // getOpenAPI?serviceCode=CODE: the description of a service the client may call.
  const auto codes = query_params(target.query, "serviceCode");
  const std::string wanted = codes.empty() ? std::string() : codes.front();
  auto decoded = percent_decode(wanted);
  if (wanted.empty() || !decoded.ok()) co_return fail(errc::bad_request, "getOpenAPI needs ?serviceCode=CODE");
  auto id = XRoadId::service(provider.instance(), provider.member_class(), provider.member_code(),
                             provider.subsystem_code(), *decoded);
  if (!id.ok()) co_return fail(errc::bad_request, "getOpenAPI: " + id.error().detail());
  const serverconf::Service* service = snap->conf->service(*id);
  if (!service || service->type == serverconf::ServiceType::wsdl)
    co_return fail(errc::unknown_service, "unknown service " + id->to_string());
  if (service->openapi_url.empty())
    co_return fail(errc::unknown_service, "service " + id->to_string() + " has no OpenAPI description");
  if (auto st = check_service_access(*snap, client, *id); !st.ok()) co_return st.error();
  auto description =
      co_await ctx_.services->get(service->openapi_url, service->timeout, service_tls(*snap->conf, *service));
  if (!description.ok()) co_return service_error(*service, description.error());
  if (description->message.result_int() != 200) {
    co_return fail(errc::service_invalid_response, "the OpenAPI description of " + id->to_string() + " answered HTTP " +
                                                       std::to_string(description->message.result_int()));
  }
  std::string type(description->message[http::field::content_type]);
  out.message.set(http::field::content_type, type.empty() ? "application/json" : type);
  out.message.body() = std::move(description->message.body());
  co_return out;
}

asio::awaitable<Result<net::ClientResponse>> ServerProxy::call_rest_service(RestRequestHead head, RestTarget target,
                                                                            TransportMessage& request, XRoadId client,
                                                                            const Snapshot* snap,
                                                                            const LogIds* log_ids, opmon::OpRecord* op, const tracing::TraceContext* trace) {
  // The service and the right to call it.
  const serverconf::Service* service = snap->conf->service(target.service);
  if (!service) co_return fail(errc::unknown_service, "unknown service " + target.service.to_string());
  op->service_type = service_type_name(service->type);
  if (service->type == serverconf::ServiceType::wsdl) {
    co_return fail(errc::service_type,
                   "service " + target.service.to_string() + " is a SOAP service and cannot be called using REST");
  }
  // One normalised path for the access check and the service's URL.
  auto path = normalize_service_path(target.path);
  if (!path.ok()) co_return path.error();
  if (auto st = check_query(target.query); !st.ok()) co_return st.error();
  const std::string checked = path->decoded.empty() ? "/" : path->decoded;
  if (auto st = check_rest_access(*snap, client, target.service, head.method, checked); !st.ok()) co_return st.error();
  if (auto st = check_service_enabled(*service); !st.ok()) co_return st.error();
  // Logged once it is known to be taken, before the service sees it.
  if (auto st = co_await log_message(ctx_.message_log, request, *log_ids, false); !st.ok()) co_return st.error();
  auto url = net::Url::parse(service->url);
  if (!url.ok()) co_return service_error(*service, url.error());
  std::string base = url->target;
  while (!base.empty() && base.back() == '/') base.pop_back();
  url->target = base + path->forwarded + (target.query.empty() ? "" : "?" + target.query);
  if (url->target.empty()) url->target = "/";
  auto call =
      service_request(head, trace->traceparent());  // (the client's traceparent gives way to this server's span)
  if (!call.ok()) co_return call.error();
  std::vector<net::Payload> body;
  if (request.body) body.push_back(*request.body);
  op->request_out_ts = unix_ms(*ctx_.clock);
  auto answer = co_await ctx_.services->send(*url, std::move(call).value(), std::move(body), service->timeout,
                                             service_tls(*snap->conf, *service));
  op->response_in_ts = unix_ms(*ctx_.clock);
  if (!answer.ok()) co_return service_error(*service, answer.error());
  // (An interim status, or one past 599 that a response part could not carry, is refused as
  // the response part is made: response_part.)
  co_return answer;
}

asio::awaitable<Result<Reply>> ServerProxy::process_rest(net::ServerExchange& ex, TransportMessage& request,
                                                         const globalconf::SecurityServer* sender,
                                                         const Snapshot* snap, opmon::OpRecord* op, const tracing::TraceContext* trace) {
  // (The work between suspensions is in functions of its own: a coroutine's frame holds every
  // local it has, and one is held per message in flight.)
  auto call = served_rest_call(request, *op);
  if (!call.ok()) co_return call.error();
  if (auto st = verify_sender(request, call->client, sender, *snap); !st.ok()) co_return st.error();
  const XRoadId provider = call->target.service.service_provider();
  const LogIds log_ids{call->query_id, call->request_id, provider, provider, true};

  Result<net::ClientResponse> answer = Error();
  if (!snap->conf->service(call->target.service) && is_rest_metaservice(call->target.service.service_code())) {
    if (auto st = co_await log_message(ctx_.message_log, request, log_ids, false); !st.ok()) co_return st.error();
    answer = co_await rest_metaservice(call->target, call->client, snap);
  } else {
    answer = co_await call_rest_service(call->head, call->target, request, call->client, snap, &log_ids, op, trace);
  }
  if (!answer.ok()) co_return answer.error();
  auto response = rest_response(*answer, request, *call, *op);
  if (!response.ok()) co_return response.error();
  // Signed by the provider.
  auto signed_response = co_await sign_response(std::move(response).value(), provider);
  if (!signed_response.ok()) co_return signed_response.error();
  if (auto st = co_await log_message(ctx_.message_log, *signed_response, log_ids, true); !st.ok()) co_return st.error();
  co_return signed_reply(encode_transport(*signed_response), ex.request().version());
}

}  // namespace roadside::proxy
