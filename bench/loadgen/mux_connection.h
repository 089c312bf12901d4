// MuxConnection: one client connection that carries MuxSubscribers' streams: HTTP/2 with many
// streams (h2c with prior knowledge, or h2 through ALPN over TLS), or HTTP/1.1 over TLS with one.
//
// Loop thread only; shared by the MuxSubscribers grouped on it (see SubscriberFactory). State:
//   kIdle -> kConnecting -> [kHandshaking (TLS)] -> kOpen -> kClosing -> kIdle
// It connects when its first stream is opened, submits streams opened earlier as soon as it is
// open, and closes when its last stream is cancelled. A failure of the connection (connect, TLS,
// HTTP/2 session error, GOAWAY, EOF) is reported to every stream on it (MuxSubscriber::onLost);
// streams opened again while it closes make it reconnect after its close callback.
//
// Like Subscriber, the socket is our own (uv_poll_t + recvmsg) so that the kernel receive time
// (SO_TIMESTAMPNS) of every read is reported to the generator before the bytes are decrypted and
// parsed. The TLS session and the codec are destroyed only in the close callback, never inside
// one of their own callbacks.
#pragma once

#include <netinet/in.h>
#include <uv.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http2_codec.h"
#include "tls_client.h"

namespace loadgen {

class LoadGenerator;
class MuxSubscriber;

class MuxConnection : public Http2Codec::Observer {
 public:
  enum class State { kIdle, kConnecting, kHandshaking, kOpen, kClosing };

  // Transport and protocol come from the generator's Options (tls, h2, h2_window).
  explicit MuxConnection(LoadGenerator* generator);
  MuxConnection(const MuxConnection&) = delete;
  MuxConnection& operator=(const MuxConnection&) = delete;

  // Adds `stream` (state kConnecting) and submits its request once the connection is open;
  // connects first when idle, from `source` (may be null).
  void open(MuxSubscriber* stream, const sockaddr_in* source);
  // Removes `stream` without reporting anything; resets its HTTP/2 stream if submitted. The
  // connection closes when no stream is left. Safe inside any callback of this connection.
  void cancel(MuxSubscriber* stream);

 private:
  static void onPoll(uv_poll_t* handle, int status, int events);
  static void onClose(uv_handle_t* handle);
  void onStreamClosed(CodecListener* listener, uint32_t error_code) override;

  void startConnect();
  void handleConnected();
  void handleReadable();
  void becomeOpen();
  void submit(MuxSubscriber* stream);
  // Application bytes from the server (decrypted when TLS).
  void deliver(const char* data, size_t size);
  // Sends application bytes (encrypting when TLS).
  void write(std::string_view plain);
  void takeCodecOutput();
  void flush();
  // Closes and reports `why` to every stream on the connection.
  void lose(const char* why, int detail);
  void closeSocket();

  LoadGenerator* generator_;
  bool tls_mode_;
  bool h2_mode_;
  State state_ = State::kIdle;
  int fd_ = -1;
  uv_poll_t poll_;
  sockaddr_in source_{};
  bool has_source_ = false;
  std::vector<MuxSubscriber*> streams_;  // opened and not cancelled (pending or submitted)
  std::unique_ptr<TlsClient> tls_;
  std::unique_ptr<Http2Codec> h2_;
  std::string out_;    // bytes to send
  std::string plain_;  // decrypted bytes of one read
};

}  // namespace loadgen
