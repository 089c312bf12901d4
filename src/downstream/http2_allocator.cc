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

size_t& blockSize(char* slot) {
  return *reinterpret_cast<size_t*>(slot);
}
char* slotOf(void* p) {
  return static_cast<char*>(p) - Http2Allocator::kHeader;
}

void* memMalloc(size_t n, void* self) {
  return static_cast<Http2Allocator*>(self)->allocate(n);
}
void memFree(void* p, void* self) {
  static_cast<Http2Allocator*>(self)->release(p);
}
void* memCalloc(size_t count, size_t size, void* self) {
  return static_cast<Http2Allocator*>(self)->allocateZeroed(count, size);
}
void* memRealloc(void* p, size_t n, void* self) {
  return static_cast<Http2Allocator*>(self)->reallocate(p, n);
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

nghttp2_mem* Http2Allocator::mem() {
  static nghttp2_mem m{&shared(), &memMalloc, &memFree, &memCalloc, &memRealloc};
  return &m;
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
      ASAN_UNPOISON_MEMORY_REGION(slot, kHeader + n);
      blockSize(slot) = n;
      return slot + kHeader;
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
  char* slot = slotOf(p);
  size_t old = blockSize(slot);
  if (n <= kMaxSlotted) {
    ASAN_POISON_MEMORY_REGION(slot + kHeader, kMaxSlotted);
    ASAN_UNPOISON_MEMORY_REGION(slot + kHeader, n);
    blockSize(slot) = n;
    return p;
  }
  void* q = ::malloc(n);
  if (q == nullptr) return nullptr;  // p stays valid, as with realloc
  memcpy(q, p, old);
  giveBack(slot);
  return q;
}

void Http2Allocator::release(void* p) {
  if (p == nullptr) return;
  if (slotted(p)) {
    giveBack(slotOf(p));
    return;
  }
  ::free(p);
}

}  // namespace ssegate::downstream
