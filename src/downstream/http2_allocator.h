// Http2Allocator: the nghttp2_mem of the downstream HTTP/2 sessions. A block of kMinSlotted to
// kMaxSlotted bytes gets a slot of its own in one reserved range of anonymous memory, where only
// the pages written are resident; every other block comes from malloc.
//
// Why: libnghttp2 1.52 gives each session a 16 KiB outbound frame buffer for its whole life
// (aob.framebufs, NGHTTP2_FRAMEBUF_CHUNKLEN = 16394 bytes). An SSE connection writes only its
// first few hundred bytes: SETTINGS, HEADERS, acks and the 9-byte DATA frame headers (DATA
// payloads go out with NGHTTP2_DATA_FLAG_NO_COPY). From malloc that block is mostly carved from
// heap that earlier frees (TLS handshakes free a lot) left resident, so all 16 KiB count in RSS;
// in a slot only the first page does. Measured with 5,000 idle h2-over-TLS connections (1 stream
// each) on a fresh gateway: 45 -> 36 KiB of gateway RSS per connection (bench/RESULTS-h2.md).
//
// Idle connections: nghttp2 serializes every frame at the start of that buffer and keeps nothing
// there between frames, so a connection that has sent nothing for a while gives the written page
// back (dropPages, from the worker's sweep): idle h2c 16.4 -> 12.4 KiB of gateway RSS per
// connection. For that the session's nghttp2_mem records which slotted block is its frame
// buffer (FrameBuffer), and a block's size lives in a side table, not in the slot.
//
// Slots: one PROT_NONE reservation of max_slots * kSlotBytes of address space (no memory), made
// readable and writable in batches as the high-water mark grows, so it is two mappings whatever
// the number of sessions (vm.max_map_count is not a concern). A returned slot gives its pages
// back at once (MADV_DONTNEED: zero-filled when used again) and is reused before a new one. No
// transparent huge pages there (MADV_NOHUGEPAGE): one written byte would cost 2 MiB. When the
// reservation cannot be made, or is full, malloc serves: correct, only larger.
// Thread: any. Slots are taken and returned under a mutex (once per session, not per frame);
// slotted() is a lock-free range check. Blocks from malloc go back to free() whatever thread.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace ssegate::downstream {

class Http2Allocator {
 public:
  static constexpr size_t kSlotBytes = 20 * 1024;  // the 16394-byte frame buffer, page-rounded
  static constexpr size_t kMinSlotted = 8 * 1024;
  static constexpr size_t kMaxSlotted = kSlotBytes;

  // A session's frame buffer: the slotted block it allocates while `recording` (set around
  // nghttp2_session_server_new3; nghttp2 keeps that buffer for life). Null again once freed.
  // Slotted blocks allocated later are not recorded: they can be live data (a header value of
  // 8 KiB or more is a reference-counted buffer in a slot).
  struct FrameBuffer {
    void* block = nullptr;
    bool recording = false;
  };

  explicit Http2Allocator(size_t max_slots);
  // REQUIRES: every slotted block has been released.
  ~Http2Allocator();
  Http2Allocator(const Http2Allocator&) = delete;
  Http2Allocator& operator=(const Http2Allocator&) = delete;

  // The process-wide allocator (65,536 slots: 1.25 GiB of address space), never destroyed.
  static Http2Allocator& shared();
  // An nghttp2_mem that allocates from shared() for one session (nghttp2_session_server_new3
  // copies it) and records that session's frame buffer in *frames, which must outlive it.
  static nghttp2_mem mem(FrameBuffer* frames);

  // malloc, calloc, realloc and free semantics. A slotted block that grows past kMaxSlotted
  // moves to malloc; a malloc'd block that grows stays there (realloc).
  void* allocate(size_t n);
  void* allocateZeroed(size_t count, size_t size);
  void* reallocate(void* p, size_t n);
  void release(void* p);
  // Gives back the resident pages of the frame buffer: it reads as zeros afterwards.
  // REQUIRES: nothing in it is needed any more (nghttp2 is between frames).
  void dropPages(const FrameBuffer& frames);

  bool slotted(const void* p) const {
    auto a = reinterpret_cast<uintptr_t>(p);
    return a >= base_ && a < end_;
  }
  size_t slotsInUse() const;

 private:
  // A zero-filled slot, or nullptr (none left).
  char* takeSlot();
  void giveBack(char* slot);
  size_t indexOf(const void* p) const {
    return (reinterpret_cast<uintptr_t>(p) - base_) / kSlotBytes;
  }

  uintptr_t base_ = 0;  // reservation [base_, end_); both 0 when there is none
  uintptr_t end_ = 0;
  size_t max_slots_;
  // Each slot's block size (reallocation copies it); resident only where slots were used.
  std::unique_ptr<uint16_t[]> sizes_;
  mutable std::mutex mu_;
  size_t committed_ = 0;  // slots readable and writable: [0, committed_)
  size_t fresh_ = 0;      // slots never used yet: [fresh_, committed_)
  std::vector<uint32_t> free_;
  size_t in_use_ = 0;
};

}  // namespace ssegate::downstream
