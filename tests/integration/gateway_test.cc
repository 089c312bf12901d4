#include "gateway_test.h"

#include <sstream>

#include "harness/free_port.h"

#ifndef SSEGATE_BINARY
#error "SSEGATE_BINARY must name the ssegate executable"
#endif

namespace ssegate::integration {
namespace {

std::string tail(const std::string& text, size_t max_lines) {
  size_t pos = text.size();
  for (size_t n = 0; n <= max_lines && pos != std::string::npos && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
  }
  return pos == std::string::npos || pos == 0 ? text : "[...]\n" + text.substr(pos + 1);
}

// This test's failures so far, again: CI shows the end of a failing test's output, and the
// gateway's log tail would otherwise bury them.
std::string failureSummary() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) return "";
  std::ostringstream out;
  out << "---- " << info->test_suite_name() << "." << info->name() << " failed: ----\n";
  const ::testing::TestResult* result = info->result();
  for (int i = 0; i < result->total_part_count(); ++i) {
    const ::testing::TestPartResult& part = result->GetTestPartResult(i);
    if (!part.failed()) continue;
    out << (part.file_name() != nullptr ? part.file_name() : "?") << ":" << part.line_number()
        << ": " << part.summary() << "\n";
  }
  return out.str();
}

}  // namespace

void GatewayTest::SetUp() {
  ASSERT_TRUE(origin_.start());
}

void GatewayTest::TearDown() {
  if (gateway_) {
    gateway_->stop();
    const std::string problems = gateway_->problems();
    EXPECT_TRUE(problems.empty()) << problems;
    if (HasFailure()) {
      gateway_->dir().keep();
      std::cerr << "---- ssegate config (" << gateway_->dir().path() << ") ----\n"
                << gateway_->config().toYaml() << "---- ssegate log (tail) ----\n"
                << tail(gateway_->log(), 150) << "---- end of ssegate log ----\n"
                << failureSummary();
    }
  }
  origin_.stop();
}

GatewayConfig GatewayTest::defaultConfig() const {
  GatewayConfig config;
  config.port = freePort();
  config.origin_port = origin_.port();
  return config;
}

void GatewayTest::startGateway(const GatewayConfig& config) {
  // freePort() can race with another process (or a parallel test's client) taking the port;
  // only that case is retried, with fresh ports.
  GatewayConfig attempt = config;
  for (int tries = 1;; ++tries) {
    gateway_ = std::make_unique<GatewayProcess>(SSEGATE_BINARY, attempt);
    if (gateway_->start()) return;
    const bool port_taken = gateway_->log().find("in use") != std::string::npos;
    if (!port_taken || tries == 3) break;
    gateway_->stop();
    attempt.port = freePort();
    if (attempt.admin_port != 0) attempt.admin_port = freePort();
  }
  FAIL() << gateway_->problems() << "---- ssegate log ----\n" << gateway_->log();
}

std::unique_ptr<SseClient> GatewayTest::openStream(const std::string& target,
                                                   const Headers& headers,
                                                   SseClient::Options options) {
  auto client = std::make_unique<SseClient>(port(), options);
  client->get(target, headers);
  client->waitHead();
  return client;
}

std::unique_ptr<SseClient> GatewayTest::exchangeRaw(const std::string& bytes, Millis timeout) {
  auto client = std::make_unique<SseClient>(port());
  client->sendRaw(bytes);
  client->waitClosed(timeout);
  return client;
}

std::string joinIds(const std::vector<SseEvent>& events) {
  std::string s;
  for (const auto& e : events) s += (s.empty() ? "" : ",") + e.id;
  return "[" + s + "]";
}

std::vector<std::string> idSequence(const std::string& prefix, int first, int last) {
  std::vector<std::string> ids;
  for (int i = first; i <= last; ++i) ids.push_back(prefix + std::to_string(i));
  return ids;
}

::testing::AssertionResult hasIds(const std::vector<SseEvent>& events,
                                  const std::vector<std::string>& ids) {
  bool same = events.size() == ids.size();
  for (size_t i = 0; same && i < ids.size(); ++i) same = events[i].id == ids[i];
  if (same) return ::testing::AssertionSuccess();
  std::string want;
  for (const auto& id : ids) want += (want.empty() ? "" : ",") + id;
  return ::testing::AssertionFailure()
         << "event ids " << joinIds(events) << ", expected [" << want << "]";
}

std::unique_ptr<SseClient> adminGet(uint16_t admin_port, const std::string& path) {
  auto c = std::make_unique<SseClient>(admin_port);
  c->get(path, {{"Connection", "close"}});
  c->pumpUntil(
      [&] { return c->closed() || c->response().state() == HttpResponseParser::State::kDone; },
      Millis(5000));
  return c;
}

::testing::AssertionResult isSseStream(const SseClient& client, const std::string& x_replay) {
  auto fail = [&]() { return ::testing::AssertionFailure() << client.describe() << ": "; };
  if (!client.headComplete()) return fail() << "no response head";
  if (client.status() != 200) return fail() << "status " << client.status() << ", expected 200";
  if (client.header("content-type").rfind("text/event-stream", 0) != 0) {
    return fail() << "Content-Type '" << client.header("content-type") << "'";
  }
  if (client.header("cache-control") != "no-cache") {
    return fail() << "Cache-Control '" << client.header("cache-control") << "'";
  }
  if (client.header("x-accel-buffering") != "no") {
    return fail() << "X-Accel-Buffering '" << client.header("x-accel-buffering") << "'";
  }
  if (client.header("x-replay") != x_replay) {
    return fail() << "X-Replay '" << client.header("x-replay") << "', expected '" << x_replay
                  << "'";
  }
  if (client.response().version() == "HTTP/1.1" && !client.response().chunked()) {
    return fail() << "HTTP/1.1 stream without Transfer-Encoding: chunked";
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult isErrorResponse(const SseClient& client, int status) {
  auto fail = [&]() { return ::testing::AssertionFailure() << client.describe() << ": "; };
  if (!client.headComplete()) return fail() << "no response head, expected " << status;
  if (client.status() != status) return fail() << "expected status " << status;
  if (!client.closed()) return fail() << "connection still open after the error response";
  const std::string& body = client.body();
  if (body.empty() || body.size() > 200) return fail() << "error body is not one short line";
  const size_t nl = body.find('\n');
  if (nl != std::string::npos && nl + 1 != body.size()) {
    return fail() << "error body has more than one line";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace ssegate::integration
