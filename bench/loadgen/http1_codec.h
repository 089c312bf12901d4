// Http1Codec: one HTTP/1.1 GET and its streamed response, parsed by llhttp (strict mode).
// Handles chunked, Content-Length and close-delimited bodies. One per subscriber; loop thread.
#pragma once

#include <llhttp.h>

#include <string>

#include "stream_codec.h"

namespace loadgen {

class Http1Codec : public StreamCodec {
 public:
  // `head_extra` holds extra header lines, each ending in "\r\n".
  Http1Codec(CodecListener* listener, std::string host, std::string path,
             const std::string* head_extra);

  std::string request() override;
  Result feed(const char* data, size_t size) override;
  Result finish() override;
  const std::string& path() const { return path_; }
  // request() adds "Last-Event-ID: *id" while *id is not empty (the string outlives the codec).
  void setLastEventId(const std::string* id) { last_event_id_ = id; }

 private:
  static int onHeadersComplete(llhttp_t* parser);
  static int onBody(llhttp_t* parser, const char* at, size_t length);
  static const llhttp_settings_t& settings();

  CodecListener* listener_;
  std::string host_;
  std::string path_;
  const std::string* head_extra_;
  const std::string* last_event_id_ = nullptr;
  llhttp_t parser_;
  bool stopped_ = false;
};

}  // namespace loadgen
