#include "tracing/trace.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace roadside::tracing {
namespace {

using nlohmann::json;

// W3C Trace Context §3.2's examples.
constexpr std::string_view kSampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
constexpr std::string_view kNotSampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kParentId = "00f067aa0ba902b7";

TEST(Hex, IsLowerCase) {
  const std::uint8_t bytes[] = {0x00, 0x0f, 0xab, 0xff};
  EXPECT_EQ(hex(bytes), "000fabff");
  EXPECT_EQ(hex({}), "");
}

TEST(ParseTraceparent, TakesW3CsExamples) {
  auto c = parse_traceparent(kSampled);
  ASSERT_TRUE(c);
  EXPECT_EQ(hex(c->trace_id), kTraceId);
  EXPECT_EQ(hex(c->span_id), kParentId);
  EXPECT_EQ(c->flags, 1);
  EXPECT_TRUE(c->sampled());

  auto n = parse_traceparent(kNotSampled);
  ASSERT_TRUE(n);
  EXPECT_FALSE(n->sampled());
  EXPECT_EQ(hex(n->trace_id), kTraceId);
}

TEST(ParseTraceparent, KeepsVersion00sOtherFlags) {
  auto c = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->flags, 0x09);
  EXPECT_TRUE(c->sampled());
}

TEST(ParseTraceparent, TakesALaterVersionAsFarAsVersion00Goes) {
  const std::string rest = std::string(kTraceId) + "-" + std::string(kParentId) + "-";
  for (const std::string& value : {"cc-" + rest + "01", "cc-" + rest + "01-what-the-future-will-be-like",
                                   "01-" + rest + "01-", "fe-" + rest + "03-x"}) {
    auto c = parse_traceparent(value);
    ASSERT_TRUE(c) << value;
    EXPECT_EQ(hex(c->trace_id), kTraceId) << value;
    EXPECT_EQ(hex(c->span_id), kParentId) << value;
    EXPECT_EQ(c->flags, 1) << value << ": only the sampled bit of a later version's flags";
  }
  EXPECT_FALSE(parse_traceparent("cc-" + rest + "01.what-the-future-will-be-like"));
  EXPECT_FALSE(parse_traceparent("cc-" + rest + "0"));  // shorter than 55
}

TEST(ParseTraceparent, RefusesWhatW3CDoesNotAllow) {
  const std::string valid(kSampled);
  const std::vector<std::string> invalid = {
      "",
      "00",
      valid.substr(0, 54),                                          // truncated
      valid + "-",                                                  // version 00 with more
      valid + "-what-the-future-will-be-like",                      //
      valid + " ",                                                  // trailing space
      " " + valid,                                                  //
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",    // upper case
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902B7-01",    //
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",    //
      "0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    //
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",    // all-zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",    // all-zero parent id
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // version ff
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  //
      "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",    // not hex
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01",    //
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",    //
      "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    //
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // separators
      "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",    //
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",    //
      "00-4bf92f3577b34da6a3ce929d0e0e47366-0f067aa0ba902b7-01",    // fields shifted
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",     //
      std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").replace(10, 1, 1, '\0'),
  };
  for (const auto& value : invalid) EXPECT_FALSE(parse_traceparent(value)) << '"' << value << '"';
}

TEST(ParseTraceparent, LooksAtNoMoreThanTheLimit) {
  const std::string base = "cc-" + std::string(kTraceId) + "-" + std::string(kParentId) + "-01-";
  std::string at_limit = base + std::string(kMaxTraceparent - base.size(), 'x');
  EXPECT_TRUE(parse_traceparent(at_limit));
  EXPECT_FALSE(parse_traceparent(at_limit + "x"));
}

TEST(TraceContext, TraceparentRoundTrips) {
  SeededRandom random(7);
  for (std::uint8_t flags : {0x00, 0x01, 0xff}) {
    TraceContext c = start_span(std::nullopt, random);
    c.flags = flags;
    const std::string text = c.traceparent();
    EXPECT_EQ(text.size(), 55u);
    EXPECT_EQ(text.substr(0, 3), "00-");
    auto back = parse_traceparent(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(*back, c);
  }
  EXPECT_EQ(parse_traceparent(kSampled)->traceparent(), kSampled);
}

TEST(StartSpan, KeepsTheParentsTraceAndSampledFlagWithANewSpanId) {
  SeededRandom random(1);
  const TraceContext parent = *parse_traceparent(kNotSampled);
  const TraceContext child = start_span(parent, random);
  EXPECT_EQ(child.trace_id, parent.trace_id);
  EXPECT_EQ(child.flags, parent.flags);
  EXPECT_NE(child.span_id, parent.span_id);
  EXPECT_NE(child.span_id, SpanId{});
  EXPECT_NE(start_span(parent, random).span_id, child.span_id);
  // Flags this version does not define are not passed on (W3C §3.2.2.5); sampled is.
  TraceContext flagged = parent;
  flagged.flags = 0x09;
  EXPECT_EQ(start_span(flagged, random).flags, 0x01);
}

TEST(StartSpan, ARootIsANewSampledTrace) {
  SeededRandom random(2);
  const TraceContext a = start_span(std::nullopt, random), b = start_span(std::nullopt);
  for (const TraceContext& c : {a, b}) {
    EXPECT_TRUE(c.sampled());
    EXPECT_NE(c.trace_id, TraceId{});
    EXPECT_NE(c.span_id, SpanId{});
  }
  EXPECT_NE(a.trace_id, b.trace_id);
}

// A source that gives zeros first: start_span never makes an all-zero (invalid) id.
class ZerosFirst final : public Random {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = calls_ < 2 ? 0 : 0x5a;
    ++calls_;
  }

 private:
  int calls_ = 0;
};

TEST(StartSpan, NeverMakesAnAllZeroId) {
  ZerosFirst random;
  const TraceContext c = start_span(std::nullopt, random);
  EXPECT_NE(c.trace_id, TraceId{});
  EXPECT_NE(c.span_id, SpanId{});
  EXPECT_TRUE(parse_traceparent(c.traceparent()));
}

TEST(OtlpJson, IsAnExportTraceServiceRequest) {
  const TraceContext parent = *parse_traceparent(kSampled);
  Span client;
  client.context = start_span(parent);
  client.parent = parent.span_id;
  client.name = "POST /r1/INST/GOV/1/SS/svc";
  client.kind = Span::Kind::client;
  client.start_unix_ns = 1'718'000'000'123'456'789;
  client.end_unix_ns = 1'718'000'001'000'000'000;
  client.attributes = {{"xroad.service", "INST/GOV/1/SS/svc"}, {"bad.utf8", "\xff"}};
  client.error = true;
  client.status_message = "Server.ServerProxy.ServiceFailed";
  Span root;
  root.context = start_span(std::nullopt);
  root.name = "server";

  const json doc = json::parse(otlp_json({client, root}, {{"service.name", "roadside"}}));
  ASSERT_EQ(doc["resourceSpans"].size(), 1u);
  const json& rs = doc["resourceSpans"][0];
  EXPECT_EQ(rs["resource"]["attributes"],
            json::parse(R"([{"key":"service.name","value":{"stringValue":"roadside"}}])"));
  ASSERT_EQ(rs["scopeSpans"].size(), 1u);
  EXPECT_EQ(rs["scopeSpans"][0]["scope"]["name"], "roadside");
  const json& spans = rs["scopeSpans"][0]["spans"];
  ASSERT_EQ(spans.size(), 2u);

  const json& c = spans[0];
  EXPECT_EQ(c["traceId"], std::string(kTraceId));
  EXPECT_EQ(c["spanId"], hex(client.context.span_id));
  EXPECT_EQ(c["parentSpanId"], std::string(kParentId));
  EXPECT_EQ(c["name"], client.name);
  EXPECT_EQ(c["kind"], 3);
  EXPECT_EQ(c["startTimeUnixNano"], "1718000000123456789");
  EXPECT_EQ(c["endTimeUnixNano"], "1718000001000000000");
  ASSERT_EQ(c["attributes"].size(), 2u);
  EXPECT_EQ(c["attributes"][0]["key"], "xroad.service");
  EXPECT_EQ(c["attributes"][0]["value"]["stringValue"], "INST/GOV/1/SS/svc");
  EXPECT_EQ(c["attributes"][1]["value"]["stringValue"], "\xEF\xBF\xBD");  // U+FFFD for invalid UTF-8
  EXPECT_EQ(c["status"]["code"], 2);
  EXPECT_EQ(c["status"]["message"], client.status_message);

  const json& r = spans[1];
  EXPECT_EQ(r["kind"], 2);
  EXPECT_EQ(r["traceId"].get<std::string>().size(), 32u);
  EXPECT_EQ(r["spanId"].get<std::string>().size(), 16u);
  EXPECT_FALSE(r.contains("parentSpanId"));
  EXPECT_FALSE(r.contains("status"));
  EXPECT_EQ(r["startTimeUnixNano"], "0");
  EXPECT_TRUE(r["attributes"].is_array());
}

TEST(OtlpJson, NoSpansIsStillARequest) {
  const json doc = json::parse(otlp_json({}, {}));
  EXPECT_TRUE(doc["resourceSpans"][0]["scopeSpans"][0]["spans"].empty());
  EXPECT_TRUE(doc["resourceSpans"][0]["resource"]["attributes"].empty());
}

}  // namespace
}  // namespace roadside::tracing
