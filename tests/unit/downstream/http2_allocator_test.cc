// Http2Allocator: frame-buffer-sized blocks take slots where only written pages are resident,
// a returned slot is zero-filled and not resident, reallocation keeps the bytes, a full
// reservation falls back to malloc, and an nghttp2 server session's frame buffer takes a slot.

#include "downstream/http2_allocator.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

namespace ssegate::downstream {
namespace {

// Resident pages of the slot holding block p.
size_t residentPages(void* p) {
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  char* slot = static_cast<char*>(p);
  std::vector<unsigned char> vec(Http2Allocator::kSlotBytes / page);
  EXPECT_EQ(mincore(slot, Http2Allocator::kSlotBytes, vec.data()), 0);
  size_t n = 0;
  for (unsigned char v : vec) n += v & 1;
  return n;
}

TEST(Http2AllocatorTest, SmallAndLargeBlocksComeFromMalloc) {
  Http2Allocator a(4);
  void* small = a.allocate(100);
  void* large = a.allocate(Http2Allocator::kMaxSlotted + 1);
  ASSERT_NE(small, nullptr);
  ASSERT_NE(large, nullptr);
  EXPECT_FALSE(a.slotted(small));
  EXPECT_FALSE(a.slotted(large));
  EXPECT_EQ(a.slotsInUse(), 0u);
  a.release(small);
  a.release(large);
}

TEST(Http2AllocatorTest, OnlyWrittenPagesAreResident) {
  Http2Allocator a(4);
  void* p = a.allocate(16394);  // NGHTTP2_FRAMEBUF_CHUNKLEN
  ASSERT_TRUE(a.slotted(p));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u);
  EXPECT_EQ(a.slotsInUse(), 1u);
  memset(p, 1, 200);  // a SETTINGS and a HEADERS frame
  EXPECT_EQ(residentPages(p), 1u);
  a.release(p);
  EXPECT_EQ(a.slotsInUse(), 0u);
  EXPECT_EQ(residentPages(p), 0u);
}

TEST(Http2AllocatorTest, ReusedSlotIsZeroFilled) {
  Http2Allocator a(4);
  auto* p = static_cast<unsigned char*>(a.allocate(9000));
  ASSERT_TRUE(a.slotted(p));
  memset(p, 0xab, 9000);
  a.release(p);
  auto* q = static_cast<unsigned char*>(a.allocateZeroed(9, 1000));
  ASSERT_EQ(q, p);  // the slot just returned is used first
  for (size_t i = 0; i < 9000; ++i) ASSERT_EQ(q[i], 0) << i;
  a.release(q);
}

TEST(Http2AllocatorTest, ReallocateKeepsTheBytes) {
  Http2Allocator a(4);
  auto* p = static_cast<char*>(a.reallocate(nullptr, 10000));  // how nghttp2_buf_init2 allocates
  ASSERT_TRUE(a.slotted(p));
  for (size_t i = 0; i < 10000; ++i) p[i] = static_cast<char>(i * 7);
  auto* q = static_cast<char*>(a.reallocate(p, 12000));
  EXPECT_EQ(q, p);  // still fits its slot
  auto* r = static_cast<char*>(a.reallocate(q, 40000));
  ASSERT_NE(r, nullptr);
  EXPECT_FALSE(a.slotted(r));
  EXPECT_EQ(a.slotsInUse(), 0u);
  for (size_t i = 0; i < 10000; ++i) ASSERT_EQ(r[i], static_cast<char>(i * 7)) << i;
  a.release(r);

  void* m = a.allocate(100);
  m = a.reallocate(m, 10000);  // a malloc'd block grows where it is
  EXPECT_FALSE(a.slotted(m));
  a.release(m);
}

TEST(Http2AllocatorTest, FullReservationFallsBackToMalloc) {
  Http2Allocator a(2);
  void* b1 = a.allocate(10000);
  void* b2 = a.allocate(10000);
  void* b3 = a.allocate(10000);
  EXPECT_TRUE(a.slotted(b1));
  EXPECT_TRUE(a.slotted(b2));
  ASSERT_NE(b3, nullptr);
  EXPECT_FALSE(a.slotted(b3));
  memset(b3, 1, 10000);
  a.release(b1);
  a.release(b2);
  a.release(b3);
  EXPECT_EQ(a.slotsInUse(), 0u);
}

TEST(Http2AllocatorTest, NoReservationMeansMalloc) {
  Http2Allocator a(0);
  void* p = a.allocate(16394);
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(a.slotted(p));
  a.release(p);
}

TEST(Http2AllocatorTest, ZeroedAllocationOverflowFails) {
  Http2Allocator a(1);
  EXPECT_EQ(a.allocateZeroed(SIZE_MAX / 2, 4), nullptr);
}

// A session's frame buffer takes a slot, is recorded as that session's block, keeps working
// after its pages were dropped between frames, and leaves the record when the session goes.
TEST(Http2AllocatorTest, SessionFrameBufferTakesASlotAndDropsItsPagesWhenIdle) {
  nghttp2_session_callbacks* cbs = nullptr;
  ASSERT_EQ(nghttp2_session_callbacks_new(&cbs), 0);
  std::string wire;
  nghttp2_session_callbacks_set_send_callback(
      cbs, [](nghttp2_session*, const uint8_t* data, size_t len, int, void* user) -> ssize_t {
        static_cast<std::string*>(user)->append(reinterpret_cast<const char*>(data), len);
        return static_cast<ssize_t>(len);
      });
  Http2Allocator& a = Http2Allocator::shared();
  size_t before = a.slotsInUse();
  Http2Allocator::FrameBuffer frames;
  nghttp2_mem mem = Http2Allocator::mem(&frames);
  nghttp2_session* session = nullptr;
  frames.recording = true;
  ASSERT_EQ(nghttp2_session_server_new3(&session, cbs, &wire, nullptr, &mem), 0);
  frames.recording = false;
  EXPECT_EQ(a.slotsInUse(), before + 1);
  void* buffer = frames.block;
  ASSERT_NE(buffer, nullptr);
  EXPECT_TRUE(a.slotted(buffer));

  for (int round = 0; round < 2; ++round) {
    wire.clear();
    ASSERT_EQ(nghttp2_submit_ping(session, NGHTTP2_FLAG_NONE, nullptr), 0);
    ASSERT_EQ(nghttp2_session_send(session), 0);
    ASSERT_EQ(wire.size(), 9u + 8u);
    EXPECT_EQ(wire.substr(0, 5), std::string("\0\0\x08\x06\0", 5));  // 8 bytes, PING, no flags
    EXPECT_EQ(residentPages(buffer), 1u);
    a.dropPages(frames);
    EXPECT_EQ(residentPages(buffer), 0u);
  }
  nghttp2_session_del(session);
  EXPECT_EQ(a.slotsInUse(), before);
  EXPECT_EQ(frames.block, nullptr);
  nghttp2_session_callbacks_del(cbs);
}

// The record holds the first slotted block allocated while recording (malloc'd ones and later
// slotted ones, which may be live data such as a large header value, are not recorded: dropping
// pages never touches them); a block that moves out of its slot or is freed leaves the record.
TEST(Http2AllocatorTest, FrameBufferRecordsOnlyWhileRecording) {
  Http2Allocator& a = Http2Allocator::shared();
  Http2Allocator::FrameBuffer frames;
  nghttp2_mem mem = Http2Allocator::mem(&frames);
  frames.recording = true;
  void* small = mem.malloc(100, mem.mem_user_data);
  EXPECT_EQ(frames.block, nullptr);
  void* buffer = mem.calloc(1, 16394, mem.mem_user_data);
  EXPECT_EQ(frames.block, buffer);
  void* moved = mem.realloc(buffer, 40000, mem.mem_user_data);  // out of its slot, to malloc
  EXPECT_FALSE(a.slotted(moved));
  EXPECT_EQ(frames.block, nullptr);
  buffer = mem.malloc(16394, mem.mem_user_data);
  EXPECT_EQ(frames.block, buffer);
  frames.recording = false;
  void* header = mem.malloc(10000, mem.mem_user_data);  // e.g. a 10 KB header value
  EXPECT_TRUE(a.slotted(header));
  EXPECT_EQ(frames.block, buffer);
  memset(header, 7, 10000);
  a.dropPages(frames);
  EXPECT_EQ(static_cast<unsigned char*>(header)[9999], 7) << "live data was dropped";
  mem.free(header, mem.mem_user_data);
  mem.free(buffer, mem.mem_user_data);
  EXPECT_EQ(frames.block, nullptr);
  mem.free(moved, mem.mem_user_data);
  mem.free(small, mem.mem_user_data);
}

}  // namespace
}  // namespace ssegate::downstream
