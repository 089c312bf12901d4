#include "http1_codec.h"

namespace loadgen {

Http1Codec::Http1Codec(CodecListener* listener, std::string host, std::string path,
                       const std::string* head_extra)
    : listener_(listener),
      host_(std::move(host)),
      path_(std::move(path)),
      head_extra_(head_extra) {}

const llhttp_settings_t& Http1Codec::settings() {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_headers_complete = &Http1Codec::onHeadersComplete;
    s.on_body = &Http1Codec::onBody;
    return s;
  }();
  return settings;
}

std::string Http1Codec::request() {
  llhttp_init(&parser_, HTTP_RESPONSE, &settings());
  parser_.data = this;
  stopped_ = false;
  std::string resume;
  if (last_event_id_ != nullptr && !last_event_id_->empty()) {
    resume = "Last-Event-ID: " + *last_event_id_ + "\r\n";
  }
  return "GET " + path_ + " HTTP/1.1\r\nHost: " + host_ +
         "\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n" + resume + *head_extra_ +
         "\r\n";
}

int Http1Codec::onHeadersComplete(llhttp_t* parser) {
  auto* codec = static_cast<Http1Codec*>(parser->data);
  if (!codec->listener_->onResponseHead(llhttp_get_status_code(parser))) {
    codec->stopped_ = true;
    return -1;
  }
  return 0;
}

int Http1Codec::onBody(llhttp_t* parser, const char* at, size_t length) {
  static_cast<Http1Codec*>(parser->data)->listener_->onBody(at, length);
  return 0;
}

StreamCodec::Result Http1Codec::feed(const char* data, size_t size) {
  if (stopped_) return Result::kStopped;
  llhttp_errno_t err = llhttp_execute(&parser_, data, size);
  if (stopped_) return Result::kStopped;
  return err == HPE_OK ? Result::kOk : Result::kError;
}

StreamCodec::Result Http1Codec::finish() {
  if (stopped_) return Result::kStopped;
  return llhttp_finish(&parser_) == HPE_OK ? Result::kOk : Result::kError;
}

}  // namespace loadgen
