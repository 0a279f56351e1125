// BackgroundJob (app/gui/background_job.h): what the window's panels rely on when they make a
// large step off the UI thread. Only the latest start counts, one thread runs at a time, errors
// come back as text, and nothing is handed over before its thread has finished.
#include "background_job.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace attn::gui {
namespace {

using Job = BackgroundJob<int>;

// Polls as the window does, once a "frame", until the outcome comes (or 10 s pass).
std::optional<Job::Outcome> wait_for(Job& job) {
    for (int i = 0; i < 10000; ++i) {
        if (auto out = job.take()) return out;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return std::nullopt;
}

// Work that waits for open() before it returns, so a test decides when a thread finishes.
struct Gate {
    std::mutex m;
    std::condition_variable cv;
    bool is_open = false;
    void open() {
        { const std::lock_guard<std::mutex> lock(m); is_open = true; }
        cv.notify_all();
    }
    void pass() {
        std::unique_lock<std::mutex> lock(m);
        cv.wait(lock, [&] { return is_open; });
    }
};

TEST(BackgroundJob, HandsOverTheValueOnceItsThreadHasFinished) {
    Job job;
    Gate gate;
    EXPECT_FALSE(job.pending());
    job.start([&] { gate.pass(); return 42; });
    EXPECT_TRUE(job.pending());
    EXPECT_FALSE(job.take().has_value());  // still running
    gate.open();
    const auto out = wait_for(job);
    ASSERT_TRUE(out.has_value());
    ASSERT_TRUE(out->value.has_value());
    EXPECT_EQ(*out->value, 42);
    EXPECT_TRUE(out->error.empty());
    EXPECT_FALSE(job.pending());
    EXPECT_FALSE(job.take().has_value());  // handed over once
}

TEST(BackgroundJob, OnlyTheLatestStartCountsAndOneThreadRunsAtATime) {
    Job job;
    Gate first_gate;
    std::atomic<int> running{0}, most{0}, second_started{0};
    auto track = [&] { most = std::max(most.load(), ++running); };
    job.start([&] { track(); first_gate.pass(); --running; return 1; });
    job.start([&] { track(); ++second_started; --running; return 2; });  // waits: the first runs
    job.start([&] { track(); --running; return 3; });                    // replaces the second
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(job.take().has_value());
    first_gate.open();
    const auto out = wait_for(job);
    ASSERT_TRUE(out.has_value() && out->value.has_value());
    EXPECT_EQ(*out->value, 3);     // never the first's 1
    EXPECT_EQ(second_started, 0);  // the replaced work never ran
    EXPECT_EQ(most, 1);
}

TEST(BackgroundJob, AnExceptionComesBackAsItsMessage) {
    Job job;
    job.start([]() -> int { throw std::runtime_error("scores: the tensor is [3, 8] not [3, 8, 5]"); });
    const auto out = wait_for(job);
    ASSERT_TRUE(out.has_value());
    EXPECT_FALSE(out->value.has_value());
    EXPECT_EQ(out->error, "scores: the tensor is [3, 8] not [3, 8, 5]");
}

TEST(BackgroundJob, CancelDropsTheResultAndTheNextStartStillRuns) {
    Job job;
    Gate gate;
    job.start([&] { gate.pass(); return 1; });
    job.cancel();
    EXPECT_FALSE(job.pending());
    gate.open();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(job.take().has_value());  // the cancelled result is never handed over
    job.start([] { return 7; });
    const auto out = wait_for(job);
    ASSERT_TRUE(out.has_value() && out->value.has_value());
    EXPECT_EQ(*out->value, 7);
}

TEST(BackgroundJob, WaitBlocksForTheLatestStartEvenBehindAnOlderOne) {
    Job job;
    EXPECT_FALSE(job.wait().has_value());  // nothing asked
    std::atomic<int> order{0}, first_at{0}, second_at{0};
    job.start([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        first_at = ++order;
        return 1;
    });
    job.start([&] { second_at = ++order; return 2; });  // queued behind the first
    const auto out = job.wait();
    ASSERT_TRUE(out.has_value() && out->value.has_value());
    EXPECT_EQ(*out->value, 2);
    EXPECT_EQ(first_at, 1);  // both ran, in order: the older write cannot land after the latest
    EXPECT_EQ(second_at, 2);
    EXPECT_FALSE(job.pending());
    EXPECT_FALSE(job.wait().has_value());
}

TEST(BackgroundJob, TheDestructorWaitsForARunningThread) {
    std::atomic<bool> finished{false};
    {
        Job job;
        job.start([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            finished = true;
            return 0;
        });
    }
    EXPECT_TRUE(finished);
}

}  // namespace
}  // namespace attn::gui
