// Incremental parser for one HTTP/1.x response as a client sees it: status line, headers, then a
// body that is chunked, Content-Length delimited, or delimited by the connection close.
//
// Single-threaded; owned by the client that feeds it. De-chunked body bytes are appended to the
// caller's buffer. Strict enough to catch framing bugs: a malformed status line or chunk size
// moves to State::kError with a reason.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ssegate::integration {

class HttpResponseParser {
 public:
  enum class State { kHead, kBody, kDone, kError };

  // Consumes `data`; body bytes go to *body. Returns the state after consuming.
  State feed(std::string_view data, std::string* body);
  // The peer closed: completes a close-delimited body, else a truncated message is an error
  // only if the body was framed and incomplete (reported by truncated()).
  void onEof();

  State state() const { return state_; }
  const std::string& error() const { return error_; }
  int status() const { return status_; }
  const std::string& version() const { return version_; }
  // Case-insensitive lookup; empty string when absent. Last value wins.
  std::string header(std::string_view name) const;
  bool hasHeader(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  bool chunked() const { return body_mode_ == BodyMode::kChunked; }
  bool closeDelimited() const { return body_mode_ == BodyMode::kUntilClose; }
  // EOF came before the framed body ended (e.g. a chunked stream cut without the last chunk).
  bool truncated() const { return truncated_; }

 private:
  enum class BodyMode { kNone, kLength, kChunked, kUntilClose };
  enum class ChunkState { kSize, kData, kDataCrlf, kTrailer };

  void parseHead(std::string_view head);
  void fail(std::string reason);
  void feedChunked(std::string_view data, std::string* body);

  State state_ = State::kHead;
  std::string error_;
  std::string head_buffer_;
  int status_ = 0;
  std::string version_;
  std::vector<std::pair<std::string, std::string>> headers_;
  BodyMode body_mode_ = BodyMode::kNone;
  size_t remaining_ = 0;  // kLength: bytes left; kChunked/kData: bytes left in the chunk
  ChunkState chunk_state_ = ChunkState::kSize;
  std::string line_;  // partial chunk-size or trailer line
  bool truncated_ = false;
};

}  // namespace ssegate::integration
