#include "opmon/health.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "opmon/query.h"
#include "xml/dom.h"
#include "xml/identifier_xml.h"

namespace roadside::opmon {

namespace {

std::int64_t unix_ms(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::optional<XRoadId> service_of(const OpRecord& r) {
  if (!r.service_xroad_instance || !r.service_member_class || !r.service_member_code || !r.service_code)
    return std::nullopt;
  auto id = XRoadId::service(*r.service_xroad_instance, *r.service_member_class, *r.service_member_code,
                             r.service_subsystem_code.value_or(""), *r.service_code, r.service_version.value_or(""));
  return id.ok() ? std::optional(std::move(id).value()) : std::nullopt;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

Result<std::optional<XRoadId>> parse_health_data_request(std::string_view soap, std::size_t max_bytes) {
  auto invalid = [](std::string detail) { return Error(make_error_code(errc::invalid_request), std::move(detail)); };
  auto doc = xml::Document::parse(soap, max_bytes);
  if (!doc.ok()) return invalid("the request is not usable XML: " + doc.error().detail());
  auto body = doc->root().child("Body");
  auto call = body ? body->child("getSecurityServerHealthData") : std::nullopt;
  if (!call || call->ns() != kOpMonitoringNs) return invalid("the request has no getSecurityServerHealthData element");
  auto criteria = call->child("filterCriteria");
  auto client = criteria ? criteria->child("client") : std::nullopt;
  if (!client) return std::optional<XRoadId>();
  auto id = xml::identifier_from_element(*client);
  if (!id.ok()) return invalid("filterCriteria/client: " + id.error().detail());
  return std::optional<XRoadId>(std::move(id).value());
}

void HealthData::Moments::add(std::int64_t v) {
  min = n == 0 ? v : std::min(min, v);
  max = n == 0 ? v : std::max(max, v);
  ++n;
  sum += static_cast<double>(v);
  sum_squares += static_cast<double>(v) * static_cast<double>(v);
}

void HealthData::Moments::add(const Moments& m) {
  if (m.n == 0) return;
  min = n == 0 ? m.min : std::min(min, m.min);
  max = n == 0 ? m.max : std::max(max, m.max);
  n += m.n;
  sum += m.sum;
  sum_squares += m.sum_squares;
}

HealthData::HealthData(std::chrono::seconds period, std::size_t max_services, const Clock& clock)
    : period_(period),
      step_s_(std::max<std::int64_t>(1, (period.count() + 599) / 600)),
      max_services_(max_services),
      clock_(clock),
      started_ms_(unix_ms(clock.now())) {}

void HealthData::add(const OpRecord& record) {
  if (record.security_server_type != "Producer" || !record.service_type) return;
  auto id = service_of(record);
  if (!id) return;
  const std::int64_t now_ms = unix_ms(clock_.now());
  const std::int64_t now_second = now_ms / 1000;
  const std::int64_t second = now_second / step_s_ * step_s_;
  const bool ok = record.succeeded.value_or(false);
  const std::string key = id->to_string();
  MutexLock lock(mu_);
  auto it = services_.find(key);
  if (it == services_.end()) {
    if (services_.size() >= max_services_) return;
    it = services_.emplace(key, Service{*id, {}, {}, {}, {}}).first;
  }
  Service& s = it->second;
  (ok ? s.last_success_ms : s.last_failure_ms) = now_ms;
  if (record.service_type) s.service_type = record.service_type;
  if (s.seconds.empty() || s.seconds.back().second != second) s.seconds.push_back(Second{second, 0, 0, {}, {}, {}});
  while (!s.seconds.empty() && !in_period(s.seconds.front().second, now_second)) s.seconds.pop_front();
  Second& b = s.seconds.back();
  if (!ok) {
    ++b.failures;
    return;
  }
  ++b.successes;
  if (record.request_in_ts && record.response_out_ts)
    b.duration.add(std::max<std::int64_t>(0, *record.response_out_ts - *record.request_in_ts));
  if (record.request_size) b.request_size.add(*record.request_size);
  if (record.response_size) b.response_size.add(*record.response_size);
}

void HealthData::write_moments(std::string& out, std::string_view what, std::string_view unit, const Moments& m) {
  if (m.n == 0) return;
  const double mean = m.sum / static_cast<double>(m.n);
  // The sample standard deviation, as X-Road's (Dropwizard's) snapshot gives it.
  const double variance = m.n > 1 ? std::max(0.0, (m.sum_squares - m.sum * mean) / static_cast<double>(m.n - 1)) : 0.0;
  const std::string w(what), u(unit);
  out += "<om:" + w + "Min" + u + ">" + std::to_string(m.min) + "</om:" + w + "Min" + u + ">";
  out += "<om:" + w + "Average" + u + ">" + number(mean) + "</om:" + w + "Average" + u + ">";
  out += "<om:" + w + "Max" + u + ">" + std::to_string(m.max) + "</om:" + w + "Max" + u + ">";
  out += "<om:" + w + u + "StdDev>" + number(std::sqrt(variance)) + "</om:" + w + u + "StdDev>";
}

std::string HealthData::response_xml(const std::optional<XRoadId>& provider) const {
  const std::int64_t now_second = unix_ms(clock_.now()) / 1000;
  struct Totals {
    XRoadId id;
    std::optional<std::int64_t> last_success_ms, last_failure_ms;
    std::optional<std::string> service_type;
    Second period;
  };
  std::vector<Totals> services;
  {
    MutexLock lock(mu_);
    services.reserve(services_.size());
    for (const auto& [key, s] : services_) {
      if (provider && !(s.id.service_provider() == *provider)) continue;
      Totals t{s.id, s.last_success_ms, s.last_failure_ms, s.service_type, Second{}};
      for (const auto& b : s.seconds) {
        if (!in_period(b.second, now_second)) continue;
        t.period.successes += b.successes;
        t.period.failures += b.failures;
        t.period.duration.add(b.duration);
        t.period.request_size.add(b.request_size);
        t.period.response_size.add(b.response_size);
      }
      services.push_back(std::move(t));
    }
  }
  std::string out = "<om:getSecurityServerHealthDataResponse xmlns:om=\"" + std::string(kOpMonitoringNs) +
                    "\"><om:monitoringStartupTimestamp>" + std::to_string(started_ms_) +
                    "</om:monitoringStartupTimestamp><om:statisticsPeriodSeconds>" + std::to_string(period_.count()) +
                    "</om:statisticsPeriodSeconds><om:servicesEvents>";
  for (const auto& t : services) {
    out += "<om:serviceEvents>" + xml::identifier_to_xml(t.id, {"om", "service", kOpMonitoringNs});
    if (t.last_success_ms)
      out += "<om:lastSuccessfulRequestTimestamp>" + std::to_string(*t.last_success_ms) +
             "</om:lastSuccessfulRequestTimestamp>";
    if (t.last_failure_ms)
      out += "<om:lastUnsuccessfulRequestTimestamp>" + std::to_string(*t.last_failure_ms) +
             "</om:lastUnsuccessfulRequestTimestamp>";
    if (t.service_type) out += "<om:serviceType>" + xml::escape(*t.service_type) + "</om:serviceType>";
    out += "<om:lastPeriodStatistics><om:successfulRequestCount>" + std::to_string(t.period.successes) +
           "</om:successfulRequestCount><om:unsuccessfulRequestCount>" + std::to_string(t.period.failures) +
           "</om:unsuccessfulRequestCount>";
    if (t.period.successes > 0) {
      write_moments(out, "request", "Duration", t.period.duration);
      write_moments(out, "request", "Size", t.period.request_size);
      write_moments(out, "response", "Size", t.period.response_size);
    }
    out += "</om:lastPeriodStatistics></om:serviceEvents>";
  }
  out += "</om:servicesEvents></om:getSecurityServerHealthDataResponse>";
  return out;
}

}  // namespace roadside::opmon
