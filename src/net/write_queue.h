// WriteQueue: the bytes waiting to go out on one stream, as references to shared buffers.
//
// Owned by one connection on one loop. Segments keep their buffers alive (shared_ptr) until the
// kernel has taken the bytes. flush() does at most one uv_write in flight (DESIGN B2): it first
// tries a synchronous send()/sendmsg() on a TCP socket (uv_try_write on other streams) and only
// queues in libuv what the socket refused. send() rather than libuv's write()/writev() skips the
// VFS write path: 7% less gateway CPU per delivery at 10k subscribers x 10 events/s (bench/run.sh
// core, 4 alternating runs each: 4.72 vs 5.08 CPU-s per million).
// bytes() is what the soft/hard subscriber-buffer limits are measured against.
#pragma once

#include <uv.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ssegate::net {

class WriteQueue {
 public:
  // Called on the loop thread when an asynchronous write finished. status < 0 is a write error.
  using DoneFn = void (*)(void* owner, int status);

  // `count_sent`: whether written bytes count in ssegate_bytes_sent_total (a TLS connection
  // counts its plaintext once, not its ciphertext too).
  explicit WriteQueue(bool count_sent = true) : count_sent_(count_sent) {}
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Appends a view into memory owned by `owner` (kept alive until written).
  void append(std::shared_ptr<const void> owner, std::string_view bytes);
  // Appends a private copy.
  void appendCopy(std::string_view bytes);

  size_t bytes() const { return bytes_; }
  bool empty() const { return bytes_ == 0; }
  bool writing() const { return in_flight_ > 0; }

  // Writes what it can. Returns 0, or a negative libuv error (the connection is broken).
  // `owner` and `done` are passed back when an asynchronous write completes.
  int flush(uv_stream_t* stream, void* owner, DoneFn done);

  // The first unwritten bytes (empty when nothing is queued), and dropping n of them: for an
  // owner that moves queued plaintext elsewhere itself (TLS encrypts it) instead of flush().
  // REQUIRES: no write in flight.
  std::string_view front() const;
  void pop(size_t n) { consume(n); }

  // Frees every segment (connection closing). REQUIRES: no write in flight, or the stream is
  // being closed (libuv then cancels the write and its callback still runs).
  void clear();

 private:
  struct Segment {
    std::shared_ptr<const void> owner;
    const char* data;
    size_t size;
  };
  struct WriteReq {
    uv_write_t req;
    WriteQueue* queue;
    void* owner;
    DoneFn done;
  };
  static void onWrite(uv_write_t* req, int status);
  void consume(size_t n);

  std::vector<Segment> segments_;
  size_t head_ = 0;         // first unwritten segment
  size_t head_offset_ = 0;  // bytes of segments_[head_] already written
  size_t bytes_ = 0;
  size_t in_flight_ = 0;  // bytes handed to uv_write, not yet completed
  std::unique_ptr<WriteReq> req_;
  bool count_sent_ = true;
};

}  // namespace ssegate::net
