#include "base/mailbox.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace ssegate {
namespace {

class MailboxTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }

  void TearDown() override {
    if (opened_ && !closed_) mailbox_.close();
    uv_run(&loop_, UV_RUN_DEFAULT);  // only the closing async handle is left
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  void open(std::function<void()> on_batch_end = nullptr) {
    mailbox_.open(&loop_, std::move(on_batch_end));
    opened_ = true;
  }
  void close() {
    mailbox_.close();
    closed_ = true;
  }

  // Steps the loop without blocking until `done` holds; bounded in turns and time.
  bool stepUntil(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (int i = 0; i < 10000000; ++i) {
      if (done()) return true;
      uv_run(&loop_, UV_RUN_NOWAIT);
      if (std::chrono::steady_clock::now() > deadline) break;
      if (i % 64 == 63) std::this_thread::yield();
    }
    return done();
  }

  void step(int turns) {
    for (int i = 0; i < turns; ++i) uv_run(&loop_, UV_RUN_NOWAIT);
  }

  uv_loop_t loop_{};
  Mailbox mailbox_;
  bool opened_ = false;
  bool closed_ = false;
  std::vector<std::string> log_;  // loop thread only
};

TEST_F(MailboxTest, RunsPostedTasksInFifoOrderOnTheLoop) {
  open();
  for (int i = 0; i < 5; ++i) mailbox_.post([this, i] { log_.push_back(std::to_string(i)); });
  EXPECT_TRUE(log_.empty()) << "post() must not run the task inline";
  ASSERT_TRUE(stepUntil([&] { return log_.size() == 5; }));
  EXPECT_EQ(log_, (std::vector<std::string>{"0", "1", "2", "3", "4"}));
  step(3);
  EXPECT_EQ(log_.size(), 5u) << "a task ran twice";
}

TEST_F(MailboxTest, PostBeforeOpenWaitsForOpen) {
  mailbox_.post([this] { log_.push_back("early"); });
  mailbox_.post([this] { log_.push_back("early2"); });
  step(3);
  EXPECT_TRUE(log_.empty());
  open();
  mailbox_.post([this] { log_.push_back("late"); });
  ASSERT_TRUE(stepUntil([&] { return log_.size() == 3; }));
  EXPECT_EQ(log_, (std::vector<std::string>{"early", "early2", "late"}));
}

TEST_F(MailboxTest, BatchEndRunsAfterEachBatch) {
  open([this] { log_.push_back("end"); });
  mailbox_.post([this] { log_.push_back("a"); });
  mailbox_.post([this] { log_.push_back("b"); });
  mailbox_.post([this] { log_.push_back("c"); });
  ASSERT_TRUE(stepUntil([&] { return log_.size() == 4; }));
  EXPECT_EQ(log_, (std::vector<std::string>{"a", "b", "c", "end"}));
  step(3);
  EXPECT_EQ(log_.size(), 4u) << "batch end ran without a batch";

  mailbox_.post([this] { log_.push_back("d"); });
  ASSERT_TRUE(stepUntil([&] { return log_.size() == 6; }));
  EXPECT_EQ(log_[4], "d");
  EXPECT_EQ(log_[5], "end");
}

TEST_F(MailboxTest, TaskPostedFromATaskRunsInALaterBatch) {
  open([this] { log_.push_back("end"); });
  mailbox_.post([this] {
    log_.push_back("a");
    mailbox_.post([this] { log_.push_back("nested"); });
  });
  mailbox_.post([this] { log_.push_back("b"); });
  ASSERT_TRUE(stepUntil([&] { return log_.size() == 5; }));
  EXPECT_EQ(log_, (std::vector<std::string>{"a", "b", "end", "nested", "end"}));
}

TEST_F(MailboxTest, PostFromAnotherThreadRunsOnTheLoopThreadInOrder) {
  open();
  const std::thread::id loop_thread = std::this_thread::get_id();
  constexpr int kTasks = 10000;
  std::vector<int> seen;
  bool all_on_loop_thread = true;
  std::thread producer([&] {
    for (int i = 0; i < kTasks; ++i) {
      mailbox_.post([&, i] {
        if (std::this_thread::get_id() != loop_thread) all_on_loop_thread = false;
        seen.push_back(i);
      });
    }
  });
  bool done = stepUntil([&] { return seen.size() == kTasks; });
  producer.join();
  ASSERT_TRUE(done || stepUntil([&] { return seen.size() == kTasks; })) << seen.size();
  EXPECT_TRUE(all_on_loop_thread);
  for (int i = 0; i < kTasks; ++i) {
    ASSERT_EQ(seen[static_cast<size_t>(i)], i) << "out of order at " << i;
  }
}

TEST_F(MailboxTest, ManyProducersKeepPerProducerOrder) {
  int batches = 0;
  open([&] { ++batches; });
  constexpr int kThreads = 4;
  constexpr int kPerThread = 3000;
  std::vector<std::vector<int>> seen(kThreads);
  size_t total = 0;
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        mailbox_.post([&, t, i] {
          seen[static_cast<size_t>(t)].push_back(i);
          ++total;
        });
      }
    });
  }
  bool done = stepUntil([&] { return total == kThreads * kPerThread; });
  for (auto& p : producers) p.join();
  ASSERT_TRUE(done || stepUntil([&] { return total == kThreads * kPerThread; })) << total;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[static_cast<size_t>(t)].size(), static_cast<size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) {
      ASSERT_EQ(seen[static_cast<size_t>(t)][static_cast<size_t>(i)], i) << "thread " << t;
    }
  }
  EXPECT_GE(batches, 1);
  EXPECT_LE(batches, kThreads * kPerThread);
}

TEST_F(MailboxTest, WakesUpABlockedLoop) {
  open();
  // A safety net so that a missing wake-up fails the test instead of hanging it.
  uv_timer_t timer;
  ASSERT_EQ(uv_timer_init(&loop_, &timer), 0);
  bool timed_out = false;
  timer.data = &timed_out;
  uv_timer_start(
      &timer, [](uv_timer_t* t) { *static_cast<bool*>(t->data) = true; }, 2000, 0);
  std::atomic<bool> ran{false};
  std::thread producer([&] { mailbox_.post([&] { ran = true; }); });
  // UV_RUN_ONCE blocks in poll until the async wake-up (or the timer) arrives.
  while (!ran && !timed_out) uv_run(&loop_, UV_RUN_ONCE);
  producer.join();
  EXPECT_TRUE(ran.load());
  EXPECT_FALSE(timed_out);
  bool timer_closed = false;
  timer.data = &timer_closed;
  uv_close(reinterpret_cast<uv_handle_t*>(&timer),
           [](uv_handle_t* h) { *static_cast<bool*>(h->data) = true; });
  ASSERT_TRUE(stepUntil([&] { return timer_closed; }));  // the timer lives on this stack
}

TEST_F(MailboxTest, PostsAfterCloseAreDropped) {
  open([this] { log_.push_back("end"); });
  close();
  auto token = std::make_shared<int>(1);
  mailbox_.post([this, token] { log_.push_back("after"); });
  EXPECT_EQ(token.use_count(), 1) << "a dropped task is not kept";
  std::thread other([this] { mailbox_.post([this] { log_.push_back("after-thread"); }); });
  other.join();
  step(5);
  EXPECT_TRUE(log_.empty());
}

TEST_F(MailboxTest, PendingTasksAreDroppedByClose) {
  open([this] { log_.push_back("end"); });
  auto token = std::make_shared<int>(1);
  mailbox_.post([this, token] { log_.push_back("pending"); });
  EXPECT_EQ(token.use_count(), 2);
  close();
  EXPECT_EQ(token.use_count(), 1);
  step(5);
  EXPECT_TRUE(log_.empty());
}

TEST_F(MailboxTest, CloseBeforeOpenDropsWaitingTasks) {
  mailbox_.post([this] { log_.push_back("never"); });
  open();
  close();
  step(5);
  EXPECT_TRUE(log_.empty());
}

// close() from inside a task (how Worker::shutdownOnLoop and Hub::shutdownOnLoop run): the
// tasks posted before close() that follow in the same batch have not run yet, so they are
// pending tasks, and close() drops pending tasks.
TEST_F(MailboxTest, CloseFromATaskDropsTheRestOfTheBatch) {
  open([this] { log_.push_back("end"); });
  mailbox_.post([this] { log_.push_back("before"); });
  mailbox_.post([this] {
    log_.push_back("close");
    close();
  });
  mailbox_.post([this] { log_.push_back("after"); });
  ASSERT_TRUE(stepUntil([&] { return !log_.empty() && closed_; }));
  step(5);
  ASSERT_GE(log_.size(), 2u);
  EXPECT_EQ(log_[0], "before");
  EXPECT_EQ(log_[1], "close");
  EXPECT_EQ(std::count(log_.begin(), log_.end(), "after"), 0)
      << "a task pending at close() ran after close()";
}

}  // namespace
}  // namespace ssegate
