#include "harness/http_response_parser.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace ssegate::integration {
namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

HttpResponseParser::State HttpResponseParser::feed(std::string_view data, std::string* body) {
  while (!data.empty() && state_ != State::kError && state_ != State::kDone) {
    if (state_ == State::kHead) {
      const size_t old_size = head_buffer_.size();
      head_buffer_.append(data);
      const size_t end = head_buffer_.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (head_buffer_.size() > 64 * 1024) fail("response head larger than 64 KiB");
        return state_;
      }
      const size_t consumed = end + 4 - old_size;
      parseHead(std::string_view(head_buffer_).substr(0, end));
      data.remove_prefix(consumed);
      continue;
    }
    switch (body_mode_) {
      case BodyMode::kNone:
        state_ = State::kDone;
        break;
      case BodyMode::kUntilClose:
        body->append(data);
        data = {};
        break;
      case BodyMode::kLength: {
        const size_t n = std::min(remaining_, data.size());
        body->append(data.substr(0, n));
        data.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kDone;
        if (!data.empty() && state_ == State::kDone) fail("bytes after the Content-Length body");
        break;
      }
      case BodyMode::kChunked:
        feedChunked(data, body);
        data = {};
        break;
    }
  }
  if (!data.empty() && state_ == State::kDone) fail("bytes after the end of the response");
  return state_;
}

void HttpResponseParser::feedChunked(std::string_view data, std::string* body) {
  while (!data.empty() && state_ == State::kBody) {
    switch (chunk_state_) {
      case ChunkState::kSize:
      case ChunkState::kTrailer: {
        const size_t nl = data.find('\n');
        line_.append(data.substr(0, nl));
        if (nl == std::string_view::npos) {
          if (line_.size() > 1024) fail("chunk size line too long");
          return;
        }
        data.remove_prefix(nl + 1);
        if (line_.empty() || line_.back() != '\r') return fail("chunk line without CRLF");
        line_.pop_back();
        if (chunk_state_ == ChunkState::kTrailer) {
          if (line_.empty()) state_ = State::kDone;
          line_.clear();
          break;
        }
        const std::string_view size_text =
            trim(std::string_view(line_).substr(0, std::min(line_.size(), line_.find(';'))));
        char* end = nullptr;
        const std::string size_copy(size_text);
        const unsigned long size = std::strtoul(size_copy.c_str(), &end, 16);
        if (size_copy.empty() || *end != '\0' || !std::isxdigit(size_copy[0])) {
          return fail("bad chunk size line '" + line_ + "'");
        }
        line_.clear();
        remaining_ = size;
        chunk_state_ = size == 0 ? ChunkState::kTrailer : ChunkState::kData;
        break;
      }
      case ChunkState::kData: {
        const size_t n = std::min(remaining_, data.size());
        body->append(data.substr(0, n));
        data.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) {
          chunk_state_ = ChunkState::kDataCrlf;
          remaining_ = 2;
        }
        break;
      }
      case ChunkState::kDataCrlf: {
        const char expected = remaining_ == 2 ? '\r' : '\n';
        if (data.front() != expected) return fail("chunk data not followed by CRLF");
        data.remove_prefix(1);
        if (--remaining_ == 0) chunk_state_ = ChunkState::kSize;
        break;
      }
    }
  }
  if (!data.empty() && state_ == State::kDone) fail("bytes after the last chunk");
}

void HttpResponseParser::parseHead(std::string_view head) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= head.size()) {
    size_t end = head.find("\r\n", start);
    if (end == std::string_view::npos) end = head.size();
    lines.push_back(head.substr(start, end - start));
    start = end + 2;
  }
  // Status line: HTTP/1.x SP 3DIGIT SP reason
  const std::string_view status_line = lines.front();
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ' ||
      !std::isdigit(static_cast<unsigned char>(status_line[9])) ||
      !std::isdigit(static_cast<unsigned char>(status_line[10])) ||
      !std::isdigit(static_cast<unsigned char>(status_line[11]))) {
    return fail("bad status line '" + std::string(status_line) + "'");
  }
  version_ = std::string(status_line.substr(0, 8));
  status_ = std::atoi(std::string(status_line.substr(9, 3)).c_str());
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return fail("bad header line '" + std::string(lines[i]) + "'");
    }
    headers_.emplace_back(std::string(lines[i].substr(0, colon)),
                          std::string(trim(lines[i].substr(colon + 1))));
  }
  state_ = State::kBody;
  if (hasHeader("transfer-encoding")) {
    if (!equalsIgnoreCase(header("transfer-encoding"), "chunked")) {
      return fail("unsupported transfer-encoding " + header("transfer-encoding"));
    }
    body_mode_ = BodyMode::kChunked;
  } else if (hasHeader("content-length")) {
    remaining_ = std::strtoul(header("content-length").c_str(), nullptr, 10);
    body_mode_ = BodyMode::kLength;
    if (remaining_ == 0) state_ = State::kDone;
  } else if (status_ == 204 || status_ == 304 || (status_ >= 100 && status_ < 200)) {
    body_mode_ = BodyMode::kNone;
    state_ = State::kDone;
  } else {
    body_mode_ = BodyMode::kUntilClose;
  }
}

void HttpResponseParser::onEof() {
  if (state_ == State::kBody) {
    if (body_mode_ == BodyMode::kUntilClose) {
      state_ = State::kDone;
    } else {
      truncated_ = true;
    }
  }
}

std::string HttpResponseParser::header(std::string_view name) const {
  std::string value;
  for (const auto& [key, v] : headers_) {
    if (equalsIgnoreCase(key, name)) value = v;
  }
  return value;
}

bool HttpResponseParser::hasHeader(std::string_view name) const {
  return std::any_of(headers_.begin(), headers_.end(),
                     [&](const auto& kv) { return equalsIgnoreCase(kv.first, name); });
}

void HttpResponseParser::fail(std::string reason) {
  state_ = State::kError;
  error_ = std::move(reason);
}

}  // namespace ssegate::integration
