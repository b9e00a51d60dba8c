#include "envmon/request.h"

#include "xml/dom.h"
#include "xml/markup.h"

namespace roadside::envmon {

const FaultCategory& envmon_category() noexcept {
  static const TableCategory<errc> c("envmon", {{errc::invalid_request, "invalid_request", "invalid request"}});
  return c;
}

namespace {

Error invalid(std::string detail) {
  return Error(make_error_code(errc::invalid_request), std::move(detail));
}

std::string_view trim_space(std::string_view s) {
  while (!s.empty() && xml::is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && xml::is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<MetricsRequest> parse_metrics_request(std::string_view soap, std::size_t max_bytes) {
  auto doc = xml::Document::parse(soap, max_bytes);
  if (!doc.ok()) return invalid("the request is not usable XML: " + doc.error().detail());
  const auto body = doc->root().child("Body");
  const auto elements = body ? body->children() : std::vector<xml::Element>();
  if (elements.empty() || elements.front().name() != kServiceCode)
    return invalid("the request's Body does not start with getSecurityServerMetrics");
  MetricsRequest out;
  for (const auto& spec : elements.front().children("outputSpec")) {
    if (spec.ns() != kMonitoringNs) continue;
    for (const auto& field : spec.children("outputField")) {
      if (field.ns() != kMonitoringNs) continue;
      if (out.output_fields.size() == kMaxOutputFields)
        return invalid("outputSpec names more than " + std::to_string(kMaxOutputFields) + " fields");
      const std::string text = field.text();
      const auto name = trim_space(text);
      if (name.empty()) return invalid("outputSpec has an empty outputField");
      out.output_fields.emplace_back(name);
    }
  }
  return out;
}

}  // namespace roadside::envmon
