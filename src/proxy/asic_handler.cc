#include "proxy/asic_handler.h"

#include <optional>
#include <type_traits>

#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/field.hpp>

#include "base/log.h"
#include "base/random.h"
#include "messagelog/asic.h"
#include "messagelog/container.h"
#include "messagelog/zip_stream.h"
#include "proxy/errors.h"
#include "proxy/local_client.h"
#include "proxy/off_thread.h"
#include "proxy/rest.h"

namespace roadside::proxy {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

constexpr std::string_view kAsicPath = "/asic";
constexpr std::string_view kVerificationConfPath = "/verificationconf";
constexpr std::string_view kZipType = "application/zip";
constexpr std::string_view kMissingTimestamp = "Message signature has not been timestamped yet!";
constexpr std::string_view kTimestampingFailed = "Could not create missing timestamp!";
constexpr std::string_view kNotFound = "No signed documents found";

// What the information system gets instead of documents.
struct Refusal {
  unsigned status;
  std::string code;  // full fault code
  std::string message;
};
Refusal refusal(unsigned status, std::string_view code, std::string message) {
  return {status, "server.clientproxy." + std::string(code), std::move(message)};
}
Refusal refusal(unsigned status, const Error& e) {
  return {status, make_fault(e, Side::client_proxy).code, e.detail()};
}
Refusal missing(std::string_view param) {
  return refusal(400, "bad_request", "Parameter \"" + std::string(param) + "\"  must be specified.");
}

struct Answer {
  std::optional<Refusal> refused;
  Reply reply;
};
Answer refused(Refusal r) {
  return {std::move(r), {}};
}

Answer document(unsigned version, std::string_view type, std::string_view disposition, net::Payload body) {
  Answer a;
  a.reply.head.result(http::status::ok);
  a.reply.head.version(version);
  a.reply.head.set(http::field::content_type, type);
  a.reply.head.set(http::field::content_disposition, disposition);
  a.reply.body.push_back(std::move(body));
  return a;
}

// Two retrievals at once at most; their database work and containers stay off the proxy's
// threads.
asio::thread_pool& pool() {
  static asio::thread_pool p(2);
  return p;
}

bool at_path(std::string_view target, std::string_view path) {
  return target.substr(0, path.size()) == path && (target.size() == path.size() || target[path.size()] == '?');
}

// A query parameter's first value as a servlet reads it ("+" is a space); std::nullopt when
// absent.
Result<std::optional<std::string>> param(std::string_view query, std::string_view name) {
  auto values = query_params(query, name);
  if (values.empty()) return std::optional<std::string>();
  std::string raw = values.front();
  for (auto& c : raw) {
    if (c == '+') c = ' ';
  }
  auto decoded = percent_decode(raw);
  if (!decoded.ok())
    return Error(make_error_code(errc::bad_request),
                 "parameter \"" + std::string(name) + "\": " + decoded.error().detail());
  return std::optional<std::string>(std::move(decoded).value());
}

bool has_param(std::string_view query, std::string_view name) {
  return !query_params(query, name).empty();
}

using Records = std::vector<messagelog::StoredRecord>;

Result<Records> find_records(const ProxyContext& ctx, const XRoadId& client, const std::string& query_id,
                             std::optional<bool> response, std::size_t limit) {
  ROADSIDE_TRY(auto store, ctx.open_log_store());
  return store->by_query_id(query_id, client, response, limit);
}

Result<std::string> one_container(const ProxyContext& ctx, const messagelog::StoredRecord& record,
                                  std::uint64_t max_bytes) {
  ROADSIDE_TRY(auto store, ctx.open_log_store());
  ROADSIDE_TRY(messagelog::AsicContainer container, messagelog::container_of(*store, record, max_bytes));
  return container.write();
}

Result<net::Payload> container_zip(const ProxyContext& ctx, const Records& records, const std::string& query_id,
                                   const messagelog::RetrievalLimits& limits) {
  ROADSIDE_TRY(auto store, ctx.open_log_store());
  net::PayloadBuilder out(ctx.spool_dir, kSpoolAbove);
  auto st = messagelog::write_container_zip(*store, records, query_id, limits,
                                            [&](std::string_view bytes) { return out.append(bytes); });
  if (!st.ok()) return st.error();
  return std::move(out).finish();
}

bool all_timestamped(const Records& records) {
  return std::all_of(records.begin(), records.end(), [](const auto& r) { return r.timestamp_id.has_value(); });
}

asio::awaitable<Answer> asic(net::ServerExchange& ex, const ProxyContext* ctx, const Snapshot* snap,
                             messagelog::RetrievalLimits limits, std::string query) {
  std::string parts[3];
  const char* names[3] = {"xRoadInstance", "memberClass", "memberCode"};
  for (int i = 0; i < 3; ++i) {
    auto v = param(query, names[i]);
    if (!v.ok()) co_return refused(refusal(400, v.error()));
    if (!*v) co_return refused(missing(names[i]));
    parts[i] = std::move(**v);
  }
  auto subsystem = param(query, "subsystemCode");
  if (!subsystem.ok()) co_return refused(refusal(400, subsystem.error()));
  Result<XRoadId> client = *subsystem ? XRoadId::subsystem(parts[0], parts[1], parts[2], **subsystem)
                                      : XRoadId::member(parts[0], parts[1], parts[2]);
  if (!client.ok()) co_return refused(refusal(400, "bad_request", "the client: " + client.error().detail()));
  // X-Road answers 401 to whoever may not act for the client.
  if (auto st = check_local_client(*snap, *client, ex.peer()); !st.ok()) co_return refused(refusal(401, st.error()));

  auto query_id = param(query, "queryId");
  if (!query_id.ok()) co_return refused(refusal(400, query_id.error()));
  if (!*query_id) co_return refused(missing("queryId"));
  const bool request_only = has_param(query, "requestOnly");
  const bool response_only = has_param(query, "responseOnly");
  if (request_only && response_only) {
    co_return refused(refusal(400, "bad_request",
                              "Parameters \"requestOnly\" and \"responseOnly\" cannot be used at the same time."));
  }
  std::optional<bool> response;
  if (request_only || response_only) response = response_only;
  const bool unique = has_param(query, "unique");
  const std::string qid = **query_id;

  // One more than returned, to tell "too many" from "just enough".
  const std::size_t limit = limits.max_containers + 1;
  auto records = co_await off_thread(pool(),
      [ctx, &client, &qid, response, limit] { return find_records(*ctx, *client, qid, response, limit); });
  if (!records.ok()) co_return refused(refusal(500, "internal_error", records.error().detail()));
  if (records->empty()) co_return refused(refusal(404, "not_found", std::string(kNotFound)));
  if (!all_timestamped(*records)) {
    if (!has_param(query, "force")) co_return refused(refusal(500, "internal_error", std::string(kMissingTimestamp)));
    std::vector<std::int64_t> ids;
    const Records& found = *records;  // (GCC 12: no range-for over a Result's vector in a coroutine)
    for (std::size_t i = 0; i < found.size(); ++i) {
      if (!found[i].timestamp_id) ids.push_back(found[i].id);
    }
    Status stamped = Error(make_error_code(errc::service_failed), "time-stamping on demand is not available");
    if (ctx->timestamp_records) stamped = co_await ctx->timestamp_records(std::move(ids));
    if (!stamped.ok()) {
      log::warn("asic: time-stamping on demand failed", {{"query_id", qid}, {"error", stamped.error().to_string()}});
      co_return refused(refusal(500, "internal_error", std::string(kTimestampingFailed)));
    }
    records = co_await off_thread(pool(),
        [ctx, &client, &qid, response, limit] { return find_records(*ctx, *client, qid, response, limit); });
    if (!records.ok()) co_return refused(refusal(500, "internal_error", records.error().detail()));
    if (!all_timestamped(*records)) co_return refused(refusal(500, "internal_error", std::string(kTimestampingFailed)));
  }

  const unsigned version = ex.request().version();
  if (unique) {
    if (!response) {
      co_return refused(refusal(400, "bad_request",
                                "Parameter \"unique\" not applicable without \"requestOnly\" or \"responseOnly\"."));
    }
    if (records->size() > 1) {
      co_return refused(refusal(500, "internal_error",
                                std::to_string(records->size() == limit ? limits.max_containers : records->size()) +
                                    (records->size() == limit ? "+" : "") +
                                    " signed documents match the query: leave out \"unique\" to get them all"));
    }
    const messagelog::StoredRecord& record = records->front();
    const std::uint64_t max_bytes = limits.max_container_bytes;
    auto bytes = co_await off_thread(pool(), [ctx, &record, max_bytes] { return one_container(*ctx, record, max_bytes); });
    if (!bytes.ok()) co_return refused(refusal(500, "internal_error", bytes.error().detail()));
    co_return document(version, messagelog::kAsicMimeType,
                       "attachment; filename=\"" + messagelog::asic_file_name(qid, record.response, record.id) + "\"",
                       net::Payload(std::move(bytes).value()));
  }
  if (records->size() > limits.max_containers) {
    co_return refused(refusal(500, "internal_error",
                              "more than " + std::to_string(limits.max_containers) +
                                  " signed documents match the query: ask for requests or responses only"));
  }
  auto zip = co_await off_thread(pool(), [ctx, &records, &qid, &limits] { return container_zip(*ctx, *records, qid, limits); });
  if (!zip.ok()) co_return refused(refusal(500, "internal_error", zip.error().detail()));
  co_return document(version, kZipType, "attachment; filename=\"" + messagelog::asic_zip_name(qid, response) + "\"",
                     std::move(zip).value());
}

// X-Road's VerificationConfWriter: the instance's shared parameters and its identifier.
Answer verification_conf(unsigned version, const Snapshot& snap) {
  if (!snap.shared) return refused(refusal(500, "global_conf_outdated", snap.globalconf_problem));
  const std::string& instance = snap.shared->instance;
  std::string out;
  messagelog::ZipStreamWriter zip([&](std::string_view bytes) {
    out.append(bytes);
    return Status{};
  });
  const auto now = std::chrono::system_clock::now();
  Status st = zip.add("verificationconf/" + instance + "/shared-params.xml", snap.shared->to_xml(), now);
  if (st.ok()) st = zip.add("verificationconf/instance-identifier", instance, now);
  if (st.ok()) st = zip.finish();
  if (!st.ok()) return refused(refusal(500, "internal_error", st.error().detail()));
  return document(version, kZipType, "filename=\"verificationconf.zip\"", net::Payload(std::move(out)));
}

}  // namespace

bool is_retrieval_target(std::string_view target) {
  return at_path(target, kAsicPath) || at_path(target, kVerificationConfPath);
}

asio::awaitable<void> serve_retrieval(net::ServerExchange& ex, const ProxyContext& ctx, const Snapshot& snap,
                                      messagelog::RetrievalLimits limits) {
  const auto& req = ex.request();
  const std::string target(req.target());
  if (!ctx.open_log_store) {
    // No message log: X-Road's SOAP handler is the one that sees the GET.
    const Fault f{"client.invalid_http_method",
                  "Must use POST request method instead of " + std::string(req.method_string()),
                  Random::system().uuid()};
    (void)co_await ex.respond(soap_error_response(f, req.version()));
    co_return;
  }
  const auto q = target.find('?');
  std::string query = q == std::string::npos ? std::string() : target.substr(q + 1);
  Answer answer;
  if (at_path(target, kVerificationConfPath)) {
    answer = verification_conf(req.version(), snap);
  } else {
    answer = co_await asic(ex, &ctx, &snap, limits, std::move(query));
  }
  if (!answer.refused) {
    (void)co_await ex.respond_payload(std::move(answer.reply.head), std::move(answer.reply.body));
    co_return;
  }
  const Refusal& r = *answer.refused;
  log::warn("signed document request refused",
            {{"component", "clientproxy"}, {"code", r.code}, {"error", r.message}, {"target", target.substr(0, 256)}});
  net::StringResponse out(static_cast<http::status>(r.status), req.version());
  out.set(http::field::content_type, "text/plain; charset=utf-8");
  out.set("X-Road-Error", r.code);
  out.body() = r.message;
  out.prepare_payload();
  (void)co_await ex.respond(std::move(out));
}

}  // namespace roadside::proxy
