// One piece of work at a time on a thread of its own, so that the window keeps drawing while it
// runs: a Pipeline step's lazy tensor is recomputed when asked, and for a seed cross module at a
// query per pixel that is seconds (the scores of a 451 x 300 picture: [3, 8, 135300, 5] from a
// fresh Q). The window asks with start() and polls with take() once a frame (take_within() in
// the frame that asked, so that quick work shows at once).
//
// Only the latest start() counts: a start while a thread is running waits as the next work (one
// at most, so no more than one result is ever being built), and the result of work asked before
// it is dropped. The destructor waits for a running thread (the work cannot be interrupted).
// Part of the GUI's model: no GL or ImGui.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace attn::gui {

template <class T>
class BackgroundJob {
public:
    // What take() hands over: the value, or why there is none (the exception's message).
    struct Outcome {
        std::optional<T> value;
        std::string error;
    };

    BackgroundJob() = default;
    BackgroundJob(const BackgroundJob&) = delete;
    BackgroundJob& operator=(const BackgroundJob&) = delete;
    ~BackgroundJob() {
        if (thread_.joinable()) thread_.join();
    }

    // Asks for `work`; replaces whatever was asked before and not yet taken.
    void start(std::function<T()> work) {
        ++asked_;
        next_ = std::move(work);
        launch_if_idle();
    }

    // Forgets what was asked: a running thread finishes, and its result is dropped.
    void cancel() {
        taken_ = ++asked_;
        next_ = nullptr;
    }

    // True from start() until its outcome is taken (or until cancel()).
    bool pending() const { return taken_ != asked_; }

    // The outcome of the latest start(), once its thread has finished; nothing before that.
    std::optional<Outcome> take() {
        if (!pending() || !shared_) return std::nullopt;
        {
            const std::lock_guard<std::mutex> lock(shared_->mutex);
            if (!shared_->finished) return std::nullopt;
        }
        if (thread_.joinable()) thread_.join();  // wait() may have joined it
        const uint64_t id = running_id_;
        Outcome outcome = std::move(shared_->outcome);
        shared_.reset();
        launch_if_idle();
        if (id != asked_) return std::nullopt;  // asked before the latest start(): dropped
        taken_ = asked_;
        return outcome;
    }

    // take(), after waiting up to `most` for the running thread: work that turns out quick is
    // handed over in the frame that asked for it, so the window shows it without a "making" note
    // in between. The wait is for the running thread, which may be for an older start().
    std::optional<Outcome> take_within(std::chrono::milliseconds most) {
        if (!pending() || !shared_) return std::nullopt;
        {
            std::unique_lock<std::mutex> lock(shared_->mutex);
            shared_->done.wait_for(lock, most, [&] { return shared_->finished; });
        }
        return take();
    }

    // Blocks until the latest start() has finished and hands over its outcome; nothing when
    // nothing is pending. For work that must be complete before going on (the session's last
    // write at exit), not for a frame.
    std::optional<Outcome> wait() {
        while (pending() && shared_) {
            thread_.join();  // the running thread, maybe for an older start(): take() then launches the latest
            if (auto outcome = take()) return outcome;
        }
        return std::nullopt;
    }

private:
    struct Shared {
        std::mutex mutex;
        std::condition_variable done;  // notified when finished becomes true
        bool finished = false;
        Outcome outcome;
    };

    void launch_if_idle() {
        if (shared_ || !next_) return;
        shared_ = std::make_shared<Shared>();
        running_id_ = asked_;  // next_ is always the latest start() (cancel() clears it)
        thread_ = std::thread([shared = shared_, work = std::move(next_)] {
            Outcome out;
            try {
                out.value = work();
            } catch (const std::bad_alloc&) {
                out.error = "not enough memory to make it";
            } catch (const std::exception& e) {
                out.error = e.what();
            }
            {
                const std::lock_guard<std::mutex> lock(shared->mutex);
                shared->outcome = std::move(out);
                shared->finished = true;
            }
            shared->done.notify_all();
        });
        next_ = nullptr;
    }

    std::thread thread_;
    std::shared_ptr<Shared> shared_;  // the running thread's outcome; null when none runs
    std::function<T()> next_;         // asked, not started (a thread was running)
    uint64_t running_id_ = 0;         // the start() the running thread is for
    uint64_t asked_ = 0, taken_ = 0;  // counts of start() / cancel(), and of the one taken
};

}  // namespace attn::gui
