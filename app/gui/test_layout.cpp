#include "test_layout.h"

#include "io/atomic_file.h"
#include "model_run.h"

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <nlohmann/json.hpp>

namespace attn::gui {

void TestLayout::note(const std::string& name) {
    const ImVec2 lo = ImGui::GetItemRectMin(), hi = ImGui::GetItemRectMax();
    rects_[name] = {lo.x, lo.y, hi.x, hi.y};
}

void TestLayout::note_rect(const std::string& name, float x0, float y0, float x1, float y1) {
    rects_[name] = {x0, y0, x1, y1};
}

void TestLayout::frame_started(double now) {
    frame_starts_.push_back(now);
    if (frame_starts_.size() > 600) frame_starts_.pop_front();
    frame_started_at_ = now;
}

void TestLayout::frame_finished(double now) {
    frame_costs_.push_back(now - frame_started_at_);
    if (frame_costs_.size() > 600) frame_costs_.pop_front();
}

void TestLayout::write(GLFWwindow* window, AppContext& ctx, const WindowReport& report, double now) {
    if (now - written_at_ < 0.1) return;
    nlohmann::json j;
    int wx = 0, wy = 0, ww = 0, wh = 0;
    glfwGetWindowPos(window, &wx, &wy);
    glfwGetWindowSize(window, &ww, &wh);
    j["window"] = {wx, wy, ww, wh};
    j["items"] = nlohmann::json::object();
    for (const auto& [name, r] : rects_)
        j["items"][name] = {r[0], r[1], r[2], r[3]};
    nlohmann::json st;
    st["ready"] = report.ready;
    st["busy"] = report.busy;
    st["blocked"] = report.blocked;
    st["engine_error"] = ctx.engine_error;
    st["sentences"] = ctx.settings.sentences;
    st["heads"] = ctx.settings.heads;
    if (ctx.scene && ctx.maps) {
        st["pass"] = {{"batches", ctx.maps->batches()}, {"heads", ctx.maps->heads()}, {"tokens", ctx.maps->tokens()}};
    }
    st["exports"] = report.exports;
    st["last_export"] = report.last_export;
    nlohmann::json messages = nlohmann::json::array();
    for (const Message& m : ctx.messages)
        messages.push_back(m.text);
    st["messages"] = messages;
    // What the tests of bad inputs, crash restore and load read: every message with its kind,
    // the whole settings (the session's JSON), and that frames keep coming (their count and the
    // start times of the last 600, in AppContext::clock seconds).
    nlohmann::json log = nlohmann::json::array();
    for (const Message& m : ctx.messages)
        log.push_back({{"kind", m.kind == Message::Kind::Error ? "error" : "info"}, {"text", m.text}});
    st["message_log"] = log;
    st["settings"] = settings_to_json(ctx.settings);
    st["frame"] = ImGui::GetFrameCount();
    st["time"] = now;
    st["frame_starts"] = frame_starts_;
    st["cancelled"] = report.cancelled;
    st["stage"] = ctx.worker->stage();
    st["progress"] = ctx.worker->progress();
    st["engine_seconds"] = ctx.engine_seconds;
    // A real model's pass and what its views show (the large map, the statistics' order, ...).
    st["frame_costs"] = frame_costs_;
    if (ctx.model_run) {
        const ModelInfo& info = ctx.model_run->info;
        st["model"] = {{"name", info.name},
                       {"family", family_name(info.family)},
                       {"layers", info.layers},
                       {"heads", info.heads},
                       {"requested", ctx.model_run->requested}};
    }
    st["views"] = ctx.test_state;
    // What the teaching views publish (the diagram, the inspector, the mask lab).
    nlohmann::json probes = nlohmann::json::object();
    for (const auto& [name, text] : ctx.probes)
        probes[name] = nlohmann::json::parse(text, nullptr, false);
    st["probes"] = probes;
    for (const auto& item : report.extra.items())
        st[item.key()] = item.value();
    j["state"] = st;
    const std::string text = j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace);
    written_at_ = now;
    if (text == written_) return;
    try {
        // Not synced: the tests read it while the app runs, and an fsync ten times a second
        // waited seconds for the disk while other tests wrote (the monkey's 2.2 s frame gap).
        write_file_atomically(path_, text.data(), text.size(), Durability::ForReaders);
        written_ = text;
    } catch (const std::exception& e) {
        ctx.error(std::string("ATTNSCOPE_TEST_LAYOUT: ") + e.what());
    }
}

}  // namespace attn::gui
