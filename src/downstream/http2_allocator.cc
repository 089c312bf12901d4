#include "downstream/http2_allocator.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/log.h"

#if defined(__SANITIZE_ADDRESS__)
#define SSEGATE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SSEGATE_ASAN 1
#endif
#endif
#ifdef SSEGATE_ASAN
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

namespace ssegate::downstream {

namespace {
constexpr size_t kDefaultSlots = 64 * 1024;
constexpr size_t kCommitBatch = 256;  // slots made writable at once (5 MiB of address space)

// Keeps a session's FrameBuffer record: block `gone` was freed (or moved), `p` is new.
void track(void* user, void* gone, void* p) {
  auto* frames = static_cast<Http2Allocator::FrameBuffer*>(user);
  if (frames == nullptr || gone == p) return;
  if (gone != nullptr && frames->block == gone) frames->block = nullptr;
  if (frames->recording && frames->block == nullptr && p != nullptr &&
      Http2Allocator::shared().slotted(p)) {
    frames->block = p;
  }
}

void* memMalloc(size_t n, void* user) {
  void* p = Http2Allocator::shared().allocate(n);
  track(user, nullptr, p);
  return p;
}
void memFree(void* p, void* user) {
  track(user, p, nullptr);
  Http2Allocator::shared().release(p);
}
void* memCalloc(size_t count, size_t size, void* user) {
  void* p = Http2Allocator::shared().allocateZeroed(count, size);
  track(user, nullptr, p);
  return p;
}
void* memRealloc(void* p, size_t n, void* user) {
  void* q = Http2Allocator::shared().reallocate(p, n);
  if (q != nullptr) track(user, p, q);
  return q;
}
}  // namespace

Http2Allocator::Http2Allocator(size_t max_slots) : max_slots_(max_slots) {
  size_t bytes = max_slots_ * kSlotBytes;
  void* p = bytes == 0 ? MAP_FAILED
                       : mmap(nullptr, bytes, PROT_NONE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    if (bytes != 0) {
      LOG_WARN("h2", "no address space for HTTP/2 frame buffers (" << strerror(errno)
                                                                   << "): using malloc");
    }
    max_slots_ = 0;
    return;
  }
  madvise(p, bytes, MADV_NOHUGEPAGE);  // best effort: fails only without THP support
  base_ = reinterpret_cast<uintptr_t>(p);
  end_ = base_ + bytes;
  sizes_.reset(new uint16_t[max_slots_]);  // not value-initialized: untouched pages stay free
}

Http2Allocator::~Http2Allocator() {
  if (base_ != 0) {
    ASAN_UNPOISON_MEMORY_REGION(reinterpret_cast<void*>(base_), committed_ * kSlotBytes);
    munmap(reinterpret_cast<void*>(base_), end_ - base_);
  }
}

Http2Allocator& Http2Allocator::shared() {
  static Http2Allocator* a = new Http2Allocator(kDefaultSlots);  // sessions may outlive main()
  return *a;
}

nghttp2_mem Http2Allocator::mem(FrameBuffer* frames) {
  return nghttp2_mem{frames, &memMalloc, &memFree, &memCalloc, &memRealloc};
}

size_t Http2Allocator::slotsInUse() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_use_;
}

char* Http2Allocator::takeSlot() {
  std::lock_guard<std::mutex> lock(mu_);
  size_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    if (fresh_ == committed_) {
      if (committed_ == max_slots_) return nullptr;
      size_t n = std::min(kCommitBatch, max_slots_ - committed_);
      char* at = reinterpret_cast<char*>(base_) + committed_ * kSlotBytes;
      if (mprotect(at, n * kSlotBytes, PROT_READ | PROT_WRITE) != 0) return nullptr;
      ASAN_POISON_MEMORY_REGION(at, n * kSlotBytes);  // unpoisoned block by block
      committed_ += n;
    }
    index = fresh_++;
  }
  ++in_use_;
  return reinterpret_cast<char*>(base_) + index * kSlotBytes;
}

void Http2Allocator::giveBack(char* slot) {
  ASAN_POISON_MEMORY_REGION(slot, kSlotBytes);
  // Zero-filled and not resident until written again.
  madvise(slot, kSlotBytes, MADV_DONTNEED);
  std::lock_guard<std::mutex> lock(mu_);
  free_.push_back(static_cast<uint32_t>((reinterpret_cast<uintptr_t>(slot) - base_) / kSlotBytes));
  --in_use_;
}

void* Http2Allocator::allocate(size_t n) {
  if (n >= kMinSlotted && n <= kMaxSlotted) {
    if (char* slot = takeSlot()) {
      ASAN_UNPOISON_MEMORY_REGION(slot, n);
      sizes_[indexOf(slot)] = static_cast<uint16_t>(n - 1);  // 1..kSlotBytes in 16 bits
      return slot;
    }
  }
  return ::malloc(n);
}

void* Http2Allocator::allocateZeroed(size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) return nullptr;
  size_t n = count * size;
  if (n >= kMinSlotted && n <= kMaxSlotted) return allocate(n);  // slots are zero-filled
  return ::calloc(count, size);
}

void* Http2Allocator::reallocate(void* p, size_t n) {
  if (p == nullptr) return allocate(n);
  if (!slotted(p)) return ::realloc(p, n);
  char* slot = static_cast<char*>(p);
  size_t old = sizes_[indexOf(slot)] + size_t{1};
  if (n != 0 && n <= kMaxSlotted) {
    ASAN_POISON_MEMORY_REGION(slot, kSlotBytes);
    ASAN_UNPOISON_MEMORY_REGION(slot, n);
    sizes_[indexOf(slot)] = static_cast<uint16_t>(n - 1);
    return p;
  }
  void* q = ::malloc(n);
  if (q == nullptr) return nullptr;  // p stays valid, as with realloc
  memcpy(q, p, std::min(old, n));
  giveBack(slot);
  return q;
}

void Http2Allocator::release(void* p) {
  if (p == nullptr) return;
  if (slotted(p)) {
    giveBack(static_cast<char*>(p));
    return;
  }
  ::free(p);
}

void Http2Allocator::dropPages(const FrameBuffer& frames) {
  if (frames.block != nullptr && slotted(frames.block)) {
    madvise(frames.block, kSlotBytes, MADV_DONTNEED);
  }
}

}  // namespace ssegate::downstream
