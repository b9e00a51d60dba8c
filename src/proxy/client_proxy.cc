#include "proxy/client_proxy.h"

#include <algorithm>

#include <boost/beast/http/field.hpp>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/random.h"
#include "net/errors.h"
#include "proxy/asic_handler.h"
#include "proxy/local_client.h"
#include "proxy/logging.h"
#include "proxy/op_record.h"
#include "proxy/peer_transport.h"
#include "proxy/rest.h"
#include "proxy/rest_heads.h"
#include "proxy/transport.h"
#include "xml/dom.h"
#include "xml/identifier_xml.h"
#include "xml/xades.h"

namespace roadside::proxy {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

Error fail(errc e, std::string detail) {
  return Error(make_error_code(e), std::move(detail));
}

HeaderList headers_of(const http::request_header<>& req) {
  HeaderList out;
  for (const auto& f : req) out.push_back({std::string(f.name_string()), std::string(f.value())});
  return out;
}

// process_rest()'s steps between its suspensions.

// What a REST request's head names.
struct RestCall {
  std::string target_text;
  RestTarget target;
  XRoadId client;
  std::optional<XRoadId> target_server;  // PR-REST's X-Road-Security-Server
  HeaderList headers;
};

// The call the request's head names, from a client of this server, or the error to answer
// with; `op` learns what is known.
Result<RestCall> rest_call(const net::ServerExchange& ex, const Snapshot& snap, opmon::OpRecord& op) {
  const auto& req = ex.request();
  RestCall call;
  call.target_text = std::string(req.target());
  op.rest_method = std::string(req.method_string());
  auto target = parse_rest_target(call.target_text);
  if (!target.ok()) return fail(errc::bad_request, "the request path names no service: " + target.error().detail());
  call.target = std::move(target).value();
  set_service(op, call.target.service);
  op.rest_path = call.target.path;
  // Refused here what the provider's server would refuse (it normalises the path again).
  if (auto path = normalize_service_path(call.target.path); !path.ok()) return path.error();
  if (auto st = check_query(call.target.query); !st.ok()) return st.error();
  call.headers = headers_of(req);
  const auto client_text = last_header(call.headers, "X-Road-Client");
  if (!client_text) return fail(errc::missing_header_field, "the X-Road-Client header is missing");
  auto client = parse_rest_client(*client_text);
  if (!client.ok()) return fail(errc::bad_request, "X-Road-Client: " + client.error().detail());
  call.client = std::move(client).value();
  set_client(op, call.client);
  // X-Road-Security-Server: INSTANCE/CLASS/MEMBER/SERVERCODE
  if (const auto server_text = last_header(call.headers, "X-Road-Security-Server")) {
    auto server = parse_rest_path(ObjectType::server, *server_text);
    if (!server.ok()) return fail(errc::bad_request, "X-Road-Security-Server: " + server.error().detail());
    call.target_server = std::move(server).value();
  }
  if (auto st = check_local_client(snap, call.client, ex.peer()); !st.ok()) return st.error();
  if (!snap.shared) return fail(errc::global_conf_outdated, snap.globalconf_problem);
  return call;
}

// The transport message a REST call becomes, and what goes with it.
struct RestRequest {
  TransportMessage message;
  std::string request_hash;  // the response must carry it as X-Road-Request-Hash
  std::string request_id;
  std::string query_id;
  HeaderList http_headers;  // for the provider's server
};

// The request `call` becomes with `body` (`call`'s headers are moved from); `op` learns its
// ids and size. Fails only when the body cannot be read to digest it.
Result<RestRequest> rest_request(RestCall& call, const http::request_header<>& req, net::Payload body,
                                 const globalconf::SharedParameters& shared, const tracing::TraceContext& trace,
                                 opmon::OpRecord& op) {
  // The request header part: the IS's headers without hop-by-hop ones, then X-Road's ids.
  HeaderList part_headers = request_part_headers(std::move(call.headers));
  remove_header(part_headers, "x-road-request-hash");
  remove_header(part_headers, "x-road-request-id");
  RestRequest out;
  out.request_id = Random::system().uuid();
  part_headers.push_back({"x-road-request-id", out.request_id});
  if (last_header(part_headers, "x-road-id").value_or("").empty()) {
    remove_header(part_headers, "x-road-id");
    part_headers.push_back({"x-road-id", std::string(shared.instance) + "-" + Random::system().uuid()});
  }
  RestRequestHead head{std::string(req.method_string()), call.target_text, std::move(part_headers)};

  TransportMessage& request = out.message;
  request.message_type = std::string(kRestRequestType);
  request.message = head.serialize();
  std::optional<std::string> body_digest;
  if (!body.empty()) {
    request.body = std::move(body);
    ROADSIDE_TRY(body_digest, request.body_digest(crypto::kSha512Uri));  // kept for the signer
  }
  out.request_hash = rest_request_hash_of_digest(request.message, body_digest);
  out.http_headers.push_back({"x-road-message-type", "REST"});
  out.http_headers.push_back({"traceparent", trace.traceparent()});
  out.query_id = last_header(head.headers, "x-road-id").value_or("");
  set_message_ids(op, out.query_id, last_header(head.headers, "x-road-userid").value_or(""),
                  last_header(head.headers, "x-road-issue").value_or(""));
  op.x_request_id = out.request_id;
  op.request_size = static_cast<std::int64_t>(request.body ? request.body->size() : 0);
  op.request_attachment_count = 0;
  return out;
}

// The IS's response from the provider's verified REST response to the request `req`.
Result<Reply> rest_reply(const http::request_header<>& req, TransportMessage& response, const std::string& request_hash,
                         opmon::OpRecord& op) {
  if (mime_type_of(response.message_type) != kRestResponseType) {
    return fail(errc::invalid_message, "the response carries \"" + response.message_type + "\", not a REST response");
  }
  ROADSIDE_TRY(auto rh, RestResponseHead::parse(response.message));
  if (last_header(rh.headers, "x-road-request-hash").value_or("") != request_hash) {
    return service_failed(errc::inconsistent_response, "the response's X-Road-Request-Hash does not match the request");
  }
  op.status_code = rh.status;
  op.response_size = static_cast<std::int64_t>(response.body ? response.body->size() : 0);
  op.response_attachment_count = 0;
  Reply out;
  out.head = is_response(rh, req.version());
  if (response.body) out.body.push_back(std::move(*response.body));
  return out;
}

}  // namespace

ClientProxy::ClientProxy(asio::io_context&, ProxyContext ctx)
    : ctx_(std::move(ctx)),
      ok_(ctx_.metrics->counter("roadside_messages_total", "Messages processed, by proxy and result",
                                {{"proxy", "client"}, {"result", "ok"}})),
      failed_(ctx_.metrics->counter("roadside_messages_total", "Messages processed, by proxy and result",
                                    {{"proxy", "client"}, {"result", "fault"}})) {}

asio::awaitable<void> ClientProxy::handle(net::ServerExchange& ex) {
  const auto& req = ex.request();
  const std::string target(req.target());
  const std::string accept(req[http::field::accept]);
  Result<Answer> result = Error();
  const Snapshot snap = ctx_.snapshot();
  opmon::OpRecord op;  // the message's operational data, when it is an X-Road message
  // This server's span, in the information system's trace when it sent one.
  const auto parent = tracing::parse_traceparent(req["traceparent"]);
  const tracing::TraceContext trace = tracing::start_span(parent);
  op.security_server_type = "Client";
  set_internal_ip(op, ex.peer().local);
  op.request_in_ts = unix_ms(*ctx_.clock);
  bool monitored = true;
  const bool rest = target.rfind("/r1/", 0) == 0;
  if (rest) {
    result = co_await process_rest(ex, &snap, &op, &trace);
  } else if (req.method() == http::verb::get && (target == "/listClients" || target.rfind("/listClients?", 0) == 0)) {
    monitored = false;
    auto list = list_clients(ex, snap);
    result =
        list.ok() ? Result<Answer>(Answer{Reply::of(std::move(list).value()), false}) : Result<Answer>(list.error());
  } else if (req.method() == http::verb::get && is_retrieval_target(target)) {
    monitored = false;
    co_await serve_retrieval(ex, ctx_, snap);  // answers itself, errors included
  } else if (req.method() == http::verb::post) {
    result = co_await process_soap(ex, &snap, &op, &trace);
  } else {
    result = fail(errc::bad_request, "not an X-Road request: REST requests go to /r1/..., SOAP requests are POSTed");
  }
  if (ex.responded()) co_return;
  if (result.ok()) {
    (result->fault ? failed_ : ok_).inc();
    if (monitored) {
      if (result->fault) op.succeeded = false;  // a fault passed on: the provider's or the service's
      record_message(ctx_, std::move(op), nullptr, trace, parent, "client proxy");
    }
    (void)co_await ex.respond_payload(std::move(result->response.head), std::move(result->response.body));
    co_return;
  }
  failed_.inc();
  const Fault f = make_fault(result.error(), Side::client_proxy);
  if (monitored) record_message(ctx_, std::move(op), &f, trace, parent, "client proxy");
  log::warn("request failed", {{"component", "clientproxy"},
                               {"code", f.code},
                               {"error", f.message},
                               {"detail", f.detail},
                               {"target", target.substr(0, 256)}});
  // (A named response: GCC 12 destroys temporaries of a conditional inside co_await twice.)
  net::StringResponse refusal = rest || req.method() != http::verb::post ? rest_error_response(f, accept, req.version())
                                                                         : soap_error_response(f, req.version());
  (void)co_await ex.respond(std::move(refusal));
}

Result<net::StringResponse> ClientProxy::list_clients(net::ServerExchange& ex, const Snapshot& snap) {
  const auto& shared = snap.shared;
  if (!shared) return fail(errc::global_conf_outdated, snap.globalconf_problem);
  const std::string target(ex.request().target());
  const auto q = target.find('?');
  const auto instances = query_params(
      q == std::string::npos ? std::string_view() : std::string_view(target).substr(q + 1), "xRoadInstance");
  const std::string instance = instances.empty() ? std::string() : instances.front();
  if (!instance.empty() && instance != shared->instance) {
    return fail(errc::bad_request, "instance " + instance + " is not known here (federation is not supported yet)");
  }
  const bool json = std::string(ex.request()[http::field::accept]).find("application/json") != std::string::npos;
  nlohmann::json members = nlohmann::json::array();
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><xrd:clientList xmlns:xrd=\"http://x-road.eu/xsd/xroad.xsd\" "
      "xmlns:id=\"http://x-road.eu/xsd/identifiers\">";
  auto add = [&](const XRoadId& id, const std::string& name, const std::string& subsystem_name) {
    if (json) {
      nlohmann::json jid = {{"member_class", id.member_class()},
                            {"member_code", id.member_code()},
                            {"object_type", to_string(id.type())},
                            {"xroad_instance", id.instance()}};
      if (id.type() == ObjectType::subsystem) jid["subsystem_code"] = id.subsystem_code();
      nlohmann::json m = {{"id", jid}, {"name", name}};
      if (!subsystem_name.empty()) m["subsystem_name"] = subsystem_name;
      members.push_back(m);
      return;
    }
    xml += "<xrd:member>" + xml::identifier_to_xml(id, {"xrd", "id", xml::kXRoadNs}) + "<xrd:name>" +
           xml::escape(name) + "</xrd:name>";
    if (!subsystem_name.empty()) xml += "<xrd:subsystemName>" + xml::escape(subsystem_name) + "</xrd:subsystemName>";
    xml += "</xrd:member>";
  };
  for (const auto& m : shared->members) {
    add(m.id, m.name, "");
    for (const auto& s : m.subsystems) add(s, m.name, "");
  }
  if (json)
    return net::make_response(http::status::ok, nlohmann::json{{"member", members}}.dump(),
                              "application/json; charset=utf-8", ex.request().version());
  xml += "</xrd:clientList>";
  return net::make_response(http::status::ok, std::move(xml), "text/xml; charset=utf-8", ex.request().version());
}

namespace {

// The same key for the same addresses in any order.
std::string address_set_key(std::vector<std::string> addresses) {
  std::sort(addresses.begin(), addresses.end());
  std::string key;
  for (const auto& a : addresses) key += a + " ";
  return key;
}

constexpr auto kFastestKept = std::chrono::hours(1);

// The one server a request names (SOAP securityServer, REST X-Road-Security-Server), as
// X-Road's ProviderSecurityServerResolver picks it: errc::unknown_member when no server hosts
// `provider`; errc::invalid_security_server when the global configuration has no `target` with
// an address, or `target` does not host `provider`; errc::maintenance_mode when it is in
// maintenance. Servers are told apart by id, not address (two may share one).
Result<const globalconf::SecurityServer*> targeted_server(const globalconf::SharedParameters& shared,
                                                          const XRoadId& provider, const XRoadId& target) {
  const auto hosting = shared.servers_hosting(provider);
  if (hosting.empty()) return fail(errc::unknown_member, "no security server hosts " + provider.to_string());
  const globalconf::SecurityServer* server = shared.security_server(target);
  if (!server)
    return fail(errc::invalid_security_server,
                "could not find security server " + target.to_string() + " in the global configuration");
  if (server->address.empty()) {
    return fail(errc::invalid_security_server,
                "security server " + target.to_string() + " has no address in the global configuration");
  }
  if (std::find(hosting.begin(), hosting.end(), server) == hosting.end()) {
    return fail(errc::invalid_security_server,
                "security server " + target.to_string() + " does not host " + provider.to_string());
  }
  if (server->in_maintenance) {
    return fail(errc::maintenance_mode,
                "security server " + target.to_string() + " is in maintenance mode" +
                    (server->maintenance_message.empty() ? "" : ": " + server->maintenance_message));
  }
  return server;
}

}  // namespace

std::optional<std::string> ClientProxy::fastest_server(const std::string& key) {
  MutexLock lock(mu_);
  auto it = fastest_.find(key);
  if (it == fastest_.end() || ctx_.clock->steady_now() - it->second.second > kFastestKept) return std::nullopt;
  return it->second.first;
}

void ClientProxy::remember_fastest(const std::string& key, const std::string& address) {
  MutexLock lock(mu_);
  if (fastest_.size() > 10'000) fastest_.clear();
  fastest_[key] = {address, ctx_.clock->steady_now()};
}

void ClientProxy::forget_fastest(const std::string& key) {
  MutexLock lock(mu_);
  fastest_.erase(key);
}

asio::awaitable<Result<ClientProxy::Servers>> ClientProxy::servers_of(const Snapshot* snap, XRoadId provider,
                                                                      std::optional<XRoadId> target_server) {
  const auto& shared = snap->shared;
  if (!shared) co_return fail(errc::global_conf_outdated, snap->globalconf_problem);
  if (!shared->has_client(provider))
    co_return fail(errc::unknown_member,
                   "service provider " + provider.to_string() + " is not in the global configuration");
  if (target_server) {
    // Only the server named, with no failover and no race for the fastest (X-Road's too).
    auto server = targeted_server(*shared, provider, *target_server);
    if (!server.ok()) co_return server.error();
    co_return Servers{{*server}, {}};
  }
  std::vector<const globalconf::SecurityServer*> servers;
  bool maintenance = false;
  for (const auto* s : shared->servers_hosting(provider)) {
    if (s->in_maintenance) {
      maintenance = true;
      continue;
    }
    if (!s->address.empty()) servers.push_back(s);
  }
  if (servers.empty()) {
    if (maintenance)
      co_return fail(errc::maintenance_mode,
                     "every security server of " + provider.to_string() + " is in maintenance mode");
    co_return fail(errc::unknown_member, "no security server hosts " + provider.to_string());
  }
  if (servers.size() == 1) co_return Servers{std::move(servers), {}};
  // Several servers: the one that accepted a connection first leads (X-Road's fastest
  // connect), remembered for an hour; the others follow as fallbacks.
  std::vector<std::string> addresses;
  for (const auto* s : servers) addresses.push_back(s->address);
  const std::string key = address_set_key(addresses);
  std::optional<std::string> fastest = fastest_server(key);
  if (!fastest) {
    auto winner = co_await ctx_.peers->fastest(addresses);
    if (winner) {
      fastest = addresses[*winner];
      remember_fastest(key, *fastest);
    }
  }
  if (fastest) {
    std::stable_partition(servers.begin(), servers.end(),
                          [&](const globalconf::SecurityServer* s) { return s->address == *fastest; });
  }
  co_return Servers{std::move(servers), key};
}

Result<ClientProxy::ToSign> ClientProxy::to_sign(const Snapshot& snap, const XRoadId& client,
                                                 TransportMessage& request) const {
  // The keys: the client's member signs; the authentication key opens the connection.
  ToSign out;
  ROADSIDE_TRY(out.key, ctx_.keys->signing_key(client));
  ROADSIDE_TRY(auto auth, ctx_.keys->auth_key());
  ROADSIDE_TRY(auto auth_ocsp, ctx_.ocsp->fresh_response(auth->info.cert, snap.shared, ctx_.clock->now()));
  request.ocsp_responses.push_back(std::move(auth_ocsp));
  out.parts.message = request.message;
  ROADSIDE_TRY(out.parts.attachment_digests, request.attachment_digests());
  return out;
}

asio::awaitable<Result<ClientProxy::PeerAnswer>> ClientProxy::exchange(const Snapshot* snap, TransportMessage request,
                                                                       XRoadId client, XRoadId provider,
                                                                       std::optional<XRoadId> target_server,
                                                                       std::string request_id, std::string query_id,
                                                                       HeaderList http_headers, opmon::OpRecord* op) {
  // (The work between suspensions is in functions of its own: a coroutine's frame holds every
  // local it has, and one is held per message in flight.)
  // Nothing is sent that could not be logged (X-Road: time-stamping failed for too long).
  if (ctx_.message_log) {
    if (auto st = ctx_.message_log->check_can_log(); !st.ok()) co_return st.error();
  }
  auto in_order = co_await servers_of(snap, provider, std::move(target_server));
  if (!in_order.ok()) co_return in_order.error();
  auto job = to_sign(*snap, client, request);
  if (!job.ok()) co_return job.error();
  auto signed_parts = co_await ctx_.signer->sign(job->key, std::move(job->parts));
  if (!signed_parts.ok()) co_return signed_parts.error();
  request.signature = std::move(signed_parts).value();
  const LogIds log_ids{std::move(query_id), request_id, client, provider, false};
  if (auto st = co_await log_message(ctx_.message_log, request, log_ids, false); !st.ok()) co_return st.error();
  const EncodedMessage encoded = encode_transport(request);
  request = {};  // all in `encoded` now (the body shared): nothing held twice while the provider works

  // Send it to the provider's servers in turn until one answers.
  http_headers.push_back({"x-road-request-id", request_id});
  Result<net::ClientResponse> answer = Error();
  const globalconf::SecurityServer* contacted = nullptr;
  op->request_out_ts = unix_ms(*ctx_.clock);
  for (const auto* server : in_order->list) {
    answer = co_await ctx_.peers->send(server, &encoded, &http_headers);
    contacted = server;
    op->service_security_server_address = server->address;
    if (answer.ok()) break;
    if (!in_order->fastest_key.empty() && server == in_order->list.front()) forget_fastest(in_order->fastest_key);
    // Failover happens at connect time only (as X-Road's): once a byte of the request may
    // have reached a server, another server must not get it too.
    if (!net::failed_before_sending(answer.error())) break;
    log::warn("security server unreachable, trying the next",
              {{"server", server->id.to_string()}, {"error", answer.error().detail()}});
  }
  op->response_in_ts = unix_ms(*ctx_.clock);
  auto out = read_answer(*snap, provider, contacted, std::move(answer));
  if (!out.ok() || out->fault) co_return out;
  if (auto st = co_await log_message(ctx_.message_log, out->message, log_ids, true); !st.ok()) co_return st.error();
  co_return out;
}

Result<ClientProxy::PeerAnswer> ClientProxy::read_answer(const Snapshot& snap, const XRoadId& provider,
                                                         const globalconf::SecurityServer* contacted,
                                                         Result<net::ClientResponse> answer) const {
  if (!answer.ok()) {
    // The request may have reached the server: X-Road's io_error, under service_failed.
    if (contacted && answer.error().code() == net::make_error_code(net::errc::closed)) {
      return service_failed(errc::io_error,
                            "the connection to " + contacted->id.to_string() + " broke: " + answer.error().detail());
    }
    return Error(answer.error().code(),
                 "no security server of " + provider.to_string() + " answered: " + answer.error().detail());
  }
  const auto& shared = snap.shared;
  // The server that answered is one of the provider's.
  // (The TLS handshake made the whole peer check; this binds the answer to the server asked.
  // Without TLS between servers only the response's signature vouches for it.)
  if (ctx_.peers_over_tls) {
    auto peer = registered_peer(answer->server_chain.empty() ? std::string() : answer->server_chain.front(), *shared,
                                &contacted->id);
    if (!peer.ok()) return peer.error();
  }

  PeerAnswer out;
  out.original_content_type = std::string(answer->message["x-original-content-type"]);
  const std::string content_type(answer->message[http::field::content_type]);
  net::Payload answer_body =
      answer->spooled_body ? std::move(*answer->spooled_body) : net::Payload(std::move(answer->message.body()));
  if (mime_type_of(content_type) == "text/xml") {
    auto fault_xml = answer_body.read_all(kMaxParsedBytes);
    if (!fault_xml.ok())
      return fail(errc::invalid_message, "the provider's server answered with a SOAP fault too large to read");
    auto fault = parse_soap_fault(*fault_xml);
    if (!fault) {
      const std::string status = "the provider's server answered HTTP " + std::to_string(answer->message.result_int());
      auto env = parse_soap(*fault_xml, false);
      if (!env.ok()) return service_failed(env.error(), status + " with text/xml that is not a SOAP fault: ");
      return service_failed(errc::invalid_message, status + " with a SOAP message that is not a fault");
    }
    log::warn("provider's server refused the request",
              {{"code", fault->code}, {"error", fault->message}, {"detail", fault->detail}});
    out.fault = std::move(fault);
    return out;
  }
  auto response = decode_transport(content_type, answer_body, kMaxParsedBytes);
  if (!response.ok()) {
    // The provider's server is at fault, never the IS: a wrong content type is invalid_message.
    if (response.error().code() == make_error_code(errc::missing_signature)) return response.error();
    return service_failed(response.error(), "the provider's server answered with an unusable message: ");
  }
  if (response->fault) {
    out.fault = response->fault;
    return out;
  }
  // At the time the answer came back: a long call may outlive the OCSP responses it started with.
  auto verified = ctx_.trust->verify_message(response->signature.signature, response->signed_message(), *shared,
                                             {provider, ctx_.clock->now()});
  if (!verified.ok()) return verified.error();
  out.message = std::move(response).value();
  return out;
}

asio::awaitable<Result<ClientProxy::Answer>> ClientProxy::process_rest(net::ServerExchange& ex, const Snapshot* snap,
                                                                       opmon::OpRecord* op, const tracing::TraceContext* trace) {
  // (As in exchange(), the work between suspensions is in functions of its own.)
  auto call = rest_call(ex, *snap, *op);
  if (!call.ok()) co_return call.error();
  auto body = co_await ex.read_body_payload(ctx_.max_message_bytes, ctx_.spool_dir, kSpoolAbove);
  if (!body.ok()) co_return body.error();
  auto request = rest_request(*call, ex.request(), std::move(body).value(), *snap->shared, *trace, *op);
  if (!request.ok()) co_return request.error();
  auto answer =
      co_await exchange(snap, std::move(request->message), call->client, call->target.service.service_provider(),
                        std::move(call->target_server), request->request_id, std::move(request->query_id),
                        std::move(request->http_headers), op);
  if (!answer.ok()) co_return answer.error();
  if (answer->fault) {
    set_fault(*op, answer->fault->code, answer->fault->message);
    co_return Answer{Reply::of(rest_error_response(*answer->fault, std::string(ex.request()[http::field::accept]),
                                                   ex.request().version())),
                     true};
  }
  auto reply = rest_reply(ex.request(), answer->message, request->request_hash, *op);
  if (!reply.ok()) co_return reply.error();
  co_return Answer{std::move(reply).value(), false};
}

asio::awaitable<Result<ClientProxy::Answer>> ClientProxy::process_soap(net::ServerExchange& ex, const Snapshot* snap,
                                                                       opmon::OpRecord* op, const tracing::TraceContext* trace) {
  const auto& req = ex.request();
  // SOAPAction, when sent and not empty, is a quoted string (SOAP 1.1 §6.1.1; X-Road refuses others).
  if (auto action = req.find("SOAPAction"); action != req.end() && !action->value().empty()) {
    const std::string_view v = action->value();
    if (v.size() < 2 || v.front() != '"' || v.back() != '"') {
      co_return fail(errc::invalid_soap_action,
                     "the SOAPAction header must be a quoted string, not " + std::string(v.substr(0, 200)));
    }
  }
  // The client is in the body: until it is known, what this request holds in memory counts
  // against the shared SOAP memory budget (and stays counted while the message is processed).
  // A body up to kSpoolAbove is read into memory, a larger one into a spool file, of which
  // only the envelope is read into memory (the attachments are read in pieces when they are
  // hashed and sent). Each byte in memory counts kSoapMemoryWeight times while it is read,
  // split and parsed; once the DOM is gone, twice until the answer is back (a margin: the
  // request is released once encoded, and its encoding shares the attachments' bytes).
  // A Content-Type no SOAP message has is refused before a byte of the body is read or spooled.
  const std::string content_type(req[http::field::content_type]);
  if (auto st = check_soap_content_type(content_type); !st.ok()) co_return st.error();
  net::BudgetShare held(*ctx_.soap_memory, kSoapMemoryWeight);
  auto body = co_await ex.read_body_payload(ctx_.max_message_bytes, ctx_.spool_dir, kSpoolAbove, &held);
  if (!body.ok()) co_return body.error();
  auto message = split_soap_message(content_type, std::move(body).value(), &held);
  if (!message.ok()) co_return message.error();
  auto env = parse_soap(message->soap, true);
  if (!env.ok()) co_return env.error();
  const XRoadId client = *env->header.client;
  const XRoadId service = *env->header.service;
  set_client(*op, client);
  set_service(*op, service);
  set_message_ids(*op, env->header.id, env->header.user_id, env->header.issue);
  op->message_protocol_version = env->header.protocol_version;
  op->request_size = static_cast<std::int64_t>(message->soap.size());
  op->request_attachment_count = static_cast<std::int64_t>(message->attachments.size());
  if (auto st = check_local_client(*snap, client, ex.peer()); !st.ok()) co_return st.error();
  const std::string request_hash = soap_request_hash(message->soap);

  TransportMessage request;
  request.message_type = message->soap_content_type;
  request.message_headers = std::move(message->soap_part_headers);
  request.message = std::move(message->soap);
  request.attachments = std::move(message->attachments);
  held.shrink_to(2 * held.taken() / kSoapMemoryWeight);
  const std::string request_id = Random::system().uuid();
  op->x_request_id = request_id;
  HeaderList http_headers;
  http_headers.push_back({"x-original-content-type", content_type});
  http_headers.push_back({"traceparent", trace->traceparent()});
  if (auto action = req.find("SOAPAction"); action != req.end())
    http_headers.push_back({"x-original-soapaction", std::string(action->value())});
  auto answer = co_await exchange(snap, std::move(request), client, service.service_provider(),
                                  env->header.security_server, request_id, env->header.id, std::move(http_headers), op);
  if (!answer.ok()) co_return answer.error();
  if (answer->fault) {
    set_fault(*op, answer->fault->code, answer->fault->message);
    co_return Answer{Reply::of(soap_error_response(*answer->fault, req.version())), true};
  }

  // The response answers this request: same client, service and id, and the request's hash.
  TransportMessage& response = answer->message;
  auto renv = parse_soap(response.message, false);
  if (!renv.ok()) co_return service_failed(renv.error(), "the provider's response is not a usable SOAP message: ");
  if (!renv->is_fault) {
    if (!renv->header.request_hash)
      co_return service_failed(errc::inconsistent_response, "the response has no requestHash");
    if (*renv->header.request_hash != request_hash) {
      co_return service_failed(errc::inconsistent_response, "the response's requestHash does not match the request");
    }
    if (!(renv->header.client == env->header.client) || !(renv->header.service == env->header.service) ||
        renv->header.id != env->header.id) {
      co_return service_failed(errc::inconsistent_response,
                               "the response's client, service or id differ from the request's");
    }
  }
  op->response_size = static_cast<std::int64_t>(response.message.size());
  op->response_attachment_count = static_cast<std::int64_t>(response.attachments.size());
  SoapMessage out_message;
  out_message.content_type =
      answer->original_content_type.empty() ? response.message_type : answer->original_content_type;
  out_message.soap_content_type = response.message_type;
  out_message.soap_part_headers = std::move(response.message_headers);
  out_message.soap = std::move(response.message);
  out_message.attachments = std::move(response.attachments);
  out_message.multipart =
      !out_message.attachments.empty() || mime_type_of(out_message.content_type) == "multipart/related";
  Reply out;
  out.head.result(renv->is_fault ? http::status::internal_server_error : http::status::ok);
  out.head.version(req.version());
  out.head.set(http::field::content_type,
               out_message.multipart ? out_message.content_type : out_message.soap_content_type);
  out.head.set(http::field::server, "Roadside");
  out.body = soap_message_pieces(out_message);
  co_return Answer{std::move(out), renv->is_fault};  // a service's own SOAP fault counts as one
}

}  // namespace roadside::proxy
