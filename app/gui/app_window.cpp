#include "app_window.h"

#include "errors.h"
#include "export/png.h"
#include "exporter.h"
#include "io/atomic_file.h"
#include "panels/attention_panel.h"
#include "panels/input_panel.h"
#include "panels/model_panel.h"
#include "panels/pad_mask_panel.h"
#include "panels/pipeline_panel.h"
#include "shader.h"
#include "shader_sources.h"
#include "state_guard.h"

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <glad/gl.h>
#include <imgui.h>
#include <imgui_internal.h>  // ErrorCheckEndFrameRecover / ErrorCheckEndWindowRecover
#include <imgui_stdlib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <utility>

namespace attn::gui {

namespace {

constexpr double kComputeDebounce = 0.15;   // s without an edit before the engine is asked
constexpr double kSaveDebounce = 0.5;       // s without a change before the session is written
constexpr double kShowProgressAfter = 0.3;  // s of a pass before the progress bar appears
constexpr double kInfoShownFor = 10.0;      // s an info message stays on the status line

const ImVec4 kErrorColour(1.0f, 0.42f, 0.42f, 1.0f);
const ImVec4 kWarnColour(1.0f, 0.78f, 0.35f, 1.0f);
const ImVec4 kDimColour(0.62f, 0.62f, 0.66f, 1.0f);
const ImVec4 kOkColour(0.55f, 0.85f, 0.55f, 1.0f);

constexpr ImGuiWindowFlags kPanelFlags = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                                         ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings;

// Files dropped on the window, collected by GLFW's callback during glfwPollEvents and handled at
// the next frame (one window per process, so a plain static is enough).
std::vector<std::string>& dropped_files() {
    static std::vector<std::string> files;
    return files;
}

void drop_callback(GLFWwindow*, int count, const char** paths) {
    for (int i = 0; i < count; ++i)
        if (paths[i]) dropped_files().emplace_back(paths[i]);
}

// Keys, relayed to Dear ImGui. ImGui 1.86 samples key state once per frame, so a key pressed and
// released between two frames (a fast typist, xdotool, a busy frame) is never seen: Ctrl+A in a
// text field or Ctrl+E would be lost. The relay holds back the release of a key pressed since
// the last frame until that frame is drawn, and records every press for our own shortcuts.
struct KeyRelay {
    struct Event {
        int key, scancode, action, mods;
    };
    std::vector<Event> held_releases;
    std::vector<Event> presses;  // for handle_shortcuts, cleared each frame
    std::vector<int> pressed_since_frame;
};
KeyRelay& key_relay() {
    static KeyRelay relay;
    return relay;
}

void key_callback(GLFWwindow* window, int key, int scancode, int action, int mods) {
    KeyRelay& r = key_relay();
    if (action == GLFW_PRESS) {
        r.presses.push_back({key, scancode, action, mods});
        r.pressed_since_frame.push_back(key);
    }
    // Any release while a press is still unseen waits, modifiers included: Ctrl+A arrives as
    // ctrl down, a down, a up, ctrl up, possibly split over two polls.
    if (action == GLFW_RELEASE && (!r.pressed_since_frame.empty() || !r.held_releases.empty())) {
        r.held_releases.push_back({key, scancode, action, mods});
        return;
    }
    ImGui_ImplGlfw_KeyCallback(window, key, scancode, action, mods);
}

// After a frame: ImGui has seen the presses; let the held releases through.
void release_held_keys(GLFWwindow* window) {
    KeyRelay& r = key_relay();
    r.pressed_since_frame.clear();
    std::vector<KeyRelay::Event> held;
    held.swap(r.held_releases);
    for (const KeyRelay::Event& e : held)
        ImGui_ImplGlfw_KeyCallback(window, e.key, e.scancode, e.action, e.mods);
}

std::string lower_extension(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

// One line of the status bar: the first line of `text`; all of it on hover when it is longer.
void text_line(const ImVec4& colour, const std::string& text) {
    const size_t newline = text.find('\n');
    const std::string first = newline == std::string::npos ? text : text.substr(0, newline) + "  (...)";
    ImGui::PushStyleColor(ImGuiCol_Text, colour);
    ImGui::TextUnformatted(first.c_str());
    ImGui::PopStyleColor();
    if (ImGui::IsItemHovered() &&
        (newline != std::string::npos || ImGui::CalcTextSize(first.c_str()).x > ImGui::GetWindowWidth())) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 50.0f);
        ImGui::TextUnformatted(text.c_str());
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
}

// A panel's contents, guarded: what it throws becomes a red line inside it and a message, and
// ImGui's stacks are unwound to the window so the frame stays balanced.
template <typename Draw>
void guarded(AppContext& ctx, const char* panel, Draw draw) {
    try {
        draw(ctx);
    } catch (const std::exception& e) {
        ImGui::ErrorCheckEndWindowRecover(nullptr);
        const std::string text = std::string(panel) + ": " + e.what();
        ctx.error(text);
        ImGui::PushStyleColor(ImGuiCol_Text, kErrorColour);
        ImGui::TextWrapped("%s", text.c_str());
        ImGui::PopStyleColor();
    }
}

void begin_panel(const char* name, const PanelRect& r, ImGuiWindowFlags extra = 0) {
    ImGui::SetNextWindowPos(ImVec2(r.x, r.y), ImGuiCond_Always);
    ImGui::SetNextWindowSize(ImVec2(r.w, r.h), ImGuiCond_Always);
    ImGui::Begin(name, nullptr, kPanelFlags | extra);
}

}  // namespace

Layout compute_layout(float width, float height, float menu_height, float status_height) {
    Layout l;
    const float top = menu_height, bottom = height - status_height;
    const float body = std::max(1.0f, bottom - top);
    const float left_w = std::round(std::clamp(width * 0.25f, 300.0f, 440.0f));
    const float right_w = std::round(std::clamp(width * 0.26f, 300.0f, 480.0f));
    const float centre_w = std::max(1.0f, width - left_w - right_w);
    const float input_h = std::round(body * 0.61f);
    const float attention_h = std::round(body * 0.66f);
    l.input = {0.0f, top, left_w, input_h};
    l.model = {0.0f, top + input_h, left_w, body - input_h};
    l.attention = {left_w, top, centre_w, attention_h};
    l.pad_mask = {left_w, top + attention_h, centre_w, body - attention_h};
    l.pipeline = {left_w + centre_w, top, width - left_w - centre_w, body};
    l.status = {0.0f, bottom, width, status_height};
    return l;
}

AppWindow::AppWindow(GLFWwindow* window, AppContext& ctx, AppOptions options)
    : window_(window), ctx_(ctx), options_(std::move(options)) {
    glfwSetDropCallback(window_, drop_callback);
    glfwSetKeyCallback(window_, key_callback);  // in front of ImGui's own (see KeyRelay)
    ctx_.record_items = !options_.test_layout.empty();
    ctx_.steady_screen = !options_.screenshot.empty();
    saved_json_ = settings_json_text(ctx_.settings);
}

AppWindow::~AppWindow() {
    glfwSetKeyCallback(window_, ImGui_ImplGlfw_KeyCallback);
    glfwSetDropCallback(window_, nullptr);
}

int AppWindow::run() {
    started_ = glfwGetTime();
    while (!glfwWindowShouldClose(window_)) {
        // Frames keep coming without input while the engine works or an edit waits for its
        // debounce; otherwise an event (or 50 ms) wakes the loop.
        const bool lively = ctx_.worker->busy() || (!pending_key_.empty() && blocked_.empty()) ||
                            !options_.screenshot.empty() || !options_.export_and_exit.empty() ||
                            pending_export_.has_value();
        glfwWaitEventsTimeout(lively ? 1.0 / 60.0 : 0.05);
        if (glfwGetWindowAttrib(window_, GLFW_ICONIFIED)) continue;  // minimised: skip drawing
        try {
            frame();
        } catch (const std::exception& e) {
            // Never out of the loop: unwind ImGui's frame and say what happened.
            if (in_frame_) {
                ImGui::ErrorCheckEndFrameRecover(nullptr);
                ImGui::EndFrame();
                in_frame_ = false;
            }
            release_held_keys(window_);
            ctx_.error(std::string("internal error, the window goes on: ") + e.what());
        }
        if ((!options_.screenshot.empty() || !options_.export_and_exit.empty()) &&
            glfwGetTime() - started_ > options_.screenshot_timeout_s) {
            std::cerr << "attnscope: " << (options_.screenshot.empty() ? "--export" : "--screenshot")
                      << ": the first pass was not drawn within " << options_.screenshot_timeout_s << " s\n";
            return 1;
        }
    }
    save_session_when_due(glfwGetTime(), /*force=*/true);
    return exit_code_;
}

void AppWindow::frame() {
    const double now = glfwGetTime();
    if (!options_.test_layout.empty()) {
        // The test hook's frame timeline: how smoothly the window draws while the engine works.
        frame_starts_.push_back(now);
        if (frame_starts_.size() > 600) frame_starts_.pop_front();
    }
    before_frame(now);

    int fb_w = 0, fb_h = 0;
    glfwGetFramebufferSize(window_, &fb_w, &fb_h);
    if (fb_w <= 0 || fb_h <= 0) return;

    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGuiIO& io = ImGui::GetIO();
    if (ctx_.steady_screen) {
        // Screenshots: wherever the pointer is, nothing is hovered and no tooltip appears.
        io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
        for (bool& down : io.MouseDown)
            down = false;
    }
    ImGui::NewFrame();
    in_frame_ = true;

    handle_shortcuts();
    draw_menu();
    const float status_h = ImGui::GetTextLineHeightWithSpacing() * 2.0f + ImGui::GetStyle().WindowPadding.y * 2.0f;
    const Layout layout = compute_layout(io.DisplaySize.x, io.DisplaySize.y, ImGui::GetFrameHeight(), status_h);
    draw_panels(layout);
    draw_status(layout.status);

    ImGui::Render();
    in_frame_ = false;
    release_held_keys(window_);
    glViewport(0, 0, fb_w, fb_h);
    glClearColor(0.08f, 0.08f, 0.09f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    after_render(fb_w, fb_h, now);
    glfwSwapBuffers(window_);

    if (last_frame_time_ > 0.0) {
        const double dt = now - last_frame_time_;
        if (dt > 0.0) fps_ = fps_ == 0.0 ? 1.0 / dt : 0.95 * fps_ + 0.05 / dt;
    }
    last_frame_time_ = now;
}

void AppWindow::before_frame(double now) {
    handle_drops();
    take_results(now);
    submit_when_due(now);
    save_session_when_due(now, /*force=*/false);
    run_pending_export();
}

void AppWindow::take_results(double now) {
    (void)now;
    while (std::optional<EngineResult> r = ctx_.worker->take_result()) {
        if (!r->scene || !r->trace) {
            ctx_.engine_error = r->error.empty() ? "the engine failed without a message" : r->error;
            ctx_.error(ctx_.engine_error);
            continue;
        }
        ctx_.scene = r->scene;
        ctx_.trace = r->trace;
        ctx_.map_model = r->map_model;
        ctx_.engine_error.clear();
        ctx_.engine_seconds = r->seconds;
        ctx_.maps->set_pass(ctx_.scene, ctx_.trace, ctx_.map_model);
        frames_since_pass_ = 0;
        cancelled_ = false;

        // Keep the view on a map that exists in the new pass.
        Settings& s = ctx_.settings;
        const int heads = ctx_.maps->heads();
        s.batch = std::clamp(s.batch, 0, std::max(0, ctx_.maps->batches() - 1));
        s.head = std::clamp(s.head, heads > 1 ? -1 : 0, std::max(0, heads - 1));
        s.token = std::clamp(s.token, 0, std::max(0, ctx_.maps->tokens() - 1));
        s.step = std::clamp(s.step, 0, std::max(0, static_cast<int>(ctx_.trace->steps.size()) - 1));

        // Warnings of the pass (unused tensors in a weights file...), once per distinct set.
        if (ctx_.scene->warnings != last_warnings_) {
            for (const std::string& w : ctx_.scene->warnings)
                ctx_.info(w);
            last_warnings_ = ctx_.scene->warnings;
        }
    }
}

void AppWindow::submit_when_due(double now) {
    const std::string key = compute_key(ctx_.settings);
    if (first_submitted_ && key == submitted_key_) {
        pending_key_.clear();
        blocked_.clear();
        return;
    }
    if (key != pending_key_) {
        pending_key_ = key;
        pending_since_ = now;
    }
    // The first pass goes at once: the window opens on maps, not on an empty state.
    if (first_submitted_ && now - pending_since_ < kComputeDebounce) return;
    blocked_ = ctx_.blocked_reason();
    if (!blocked_.empty()) return;  // shown in the status bar (and by the Model panel)
    ctx_.worker->submit(scene_spec(ctx_.settings, ctx_.default_image()));
    submitted_key_ = key;
    pending_key_.clear();
    pass_started_ = now;
    first_submitted_ = true;
    cancelled_ = false;
}

void AppWindow::save_session_when_due(double now, bool force) {
    if (ctx_.session_path.empty()) return;
    const std::string json = settings_json_text(ctx_.settings);
    if (json == saved_json_) return;
    if (json != pending_save_json_) {
        pending_save_json_ = json;
        save_pending_since_ = now;
    }
    if (!force && now - save_pending_since_ < kSaveDebounce) return;
    saved_json_ = json;  // also on failure: one message, not one per frame
    try {
        save_session(ctx_.session_path, ctx_.settings);
    } catch (const std::exception& e) {
        ctx_.error(std::string("session not saved: ") + e.what());
    }
}

bool AppWindow::pass_settled() const {
    return first_submitted_ && pending_key_.empty() && !ctx_.worker->busy() &&
           compute_key(ctx_.settings) == submitted_key_;
}

void AppWindow::run_pending_export() {
    if (!pending_export_) return;
    // An export right after an edit waits for the pass of the new settings, so the files are
    // those of what the user just asked for, not of the pass before it.
    if (!pass_settled() && blocked_.empty() && !cancelled_) return;
    const ExportKind kind = *pending_export_;
    pending_export_.reset();
    if (!ctx_.scene) {
        ctx_.error("Nothing to export: no pass has finished" +
                   (ctx_.engine_error.empty() ? std::string() : " (" + ctx_.engine_error + ")"));
        return;
    }
    try {
        const ExportResult r = export_maps(ctx_, kind, ctx_.export_dir);
        std::string note;
        if (!blocked_.empty() || cancelled_ || !ctx_.engine_error.empty())
            note = " (maps of the last pass that finished, not of the current settings)";
        last_export_summary_ = r.summary + note;
        ++exports_done_;
        ctx_.info(last_export_summary_);
    } catch (const std::exception& e) {
        ctx_.error(std::string("Export failed: ") + e.what());
    }
}

void AppWindow::handle_drops() {
    std::vector<std::string> files;
    files.swap(dropped_files());
    for (const std::string& path : files) {
        // The path fields are Dear ImGui text fields, which must hold UTF-8 (1.86 asserts when
        // other bytes are edited): a file name in another encoding is refused with a message.
        size_t replaced = 0;
        const std::string shown = replace_invalid_utf8(path, &replaced);
        if (replaced > 0) {
            ctx_.error(shown + ": the file name is not valid UTF-8, which the window cannot show; rename the file");
            continue;
        }
        if (lower_extension(path) == ".safetensors") {
            std::error_code ec;
            if (!std::filesystem::is_regular_file(path, ec)) {  // as the Load button: a FIFO would block the engine
                ctx_.error(path + ": not a regular file; the weights stay as they are");
                continue;
            }
            ctx_.settings.weights_path = path;
            ctx_.info("Weights from " + path);
        } else {
            choose_image(ctx_, path);
        }
    }
}

void AppWindow::handle_shortcuts() {
    const ImGuiIO& io = ImGui::GetIO();
    std::vector<KeyRelay::Event> presses;
    presses.swap(key_relay().presses);
    for (const KeyRelay::Event& e : presses) {
        const bool ctrl = (e.mods & GLFW_MOD_CONTROL) != 0, shift = (e.mods & GLFW_MOD_SHIFT) != 0;
        if (ctrl && e.key == GLFW_KEY_E) pending_export_ = shift ? ExportKind::CurrentMap : ExportKind::EveryMap;
        if (ctrl && e.key == GLFW_KEY_Q) glfwSetWindowShouldClose(window_, GLFW_TRUE);
        if (e.key == GLFW_KEY_F5) reload_shaders();
        if (e.key == GLFW_KEY_ESCAPE && ctx_.worker->busy() && !io.WantTextInput) {
            ctx_.worker->cancel();
            cancelled_ = true;
        }
    }
}

void AppWindow::reload_shaders() {
    try {
        if (ctx_.maps->reload_shaders())
            ctx_.info("Shaders reloaded from " + gl::shader_reload_dir().value_or("?").string());
        else
            ctx_.info("No shader folder to reload from: this is a Release build (set ATTNSCOPE_SHADER_DIR)");
    } catch (const gl::ShaderError& e) {
        ctx_.error(std::string("Shader reload failed; the previous shaders stay in use. ") + e.what());
    } catch (const std::exception& e) {
        ctx_.error(std::string("Shader reload failed: ") + e.what());
    }
}

void AppWindow::draw_menu() {
    if (!ImGui::BeginMainMenuBar()) return;
    if (ImGui::BeginMenu("File")) {
        const bool can = ctx_.scene != nullptr;
        if (ImGui::MenuItem("Export every map", "Ctrl+E", false, can)) pending_export_ = ExportKind::EveryMap;
        if (ImGui::MenuItem("Export the current map", "Ctrl+Shift+E", false, can))
            pending_export_ = ExportKind::CurrentMap;
        if (ImGui::MenuItem("Export the grid of this batch item", nullptr, false, can))
            pending_export_ = ExportKind::Grid;
        if (ImGui::MenuItem("Export the tensors (.npy)", nullptr, false, can)) pending_export_ = ExportKind::Tensors;
        ImGui::Separator();
        ImGui::TextUnformatted("Export folder");
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 22.0f);
        ImGui::InputText("##export_dir", &ctx_.export_dir);
        ImGui::Separator();
        if (ImGui::MenuItem("Quit", "Ctrl+Q")) glfwSetWindowShouldClose(window_, GLFW_TRUE);
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("View")) {
        const bool can_reload = gl::shader_reload_dir().has_value();
        if (ImGui::MenuItem("Reload shaders", "F5", false, can_reload)) reload_shaders();
        if (!can_reload && ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
            ImGui::SetTooltip("Development builds (Debug, RelWithDebInfo) or $ATTNSCOPE_SHADER_DIR");
        ImGui::EndMenu();
    }
    // What is on screen, in one line.
    const Settings& s = ctx_.settings;
    std::string summary = module_class_name(s.module) + "   emb_dim " + std::to_string(s.emb_dim);
    if (has_heads(s.module)) summary += "   heads " + std::to_string(s.heads);
    summary += "   batch " + std::to_string(s.sentences.size());
    ImGui::SameLine(0.0f, ImGui::GetFontSize() * 2.0f);
    ImGui::TextColored(kDimColour, "%s", summary.c_str());
    ImGui::EndMainMenuBar();
}

void AppWindow::draw_panels(const Layout& l) {
    begin_panel("Input", l.input);
    guarded(ctx_, "Input", draw_input_panel);
    ImGui::End();

    begin_panel("Model", l.model);
    guarded(ctx_, "Model", draw_model_panel);
    ImGui::End();

    begin_panel("Attention", l.attention);
    guarded(ctx_, "Attention", draw_attention_panel);
    ImGui::End();

    begin_panel("Pad mask", l.pad_mask);
    guarded(ctx_, "Pad mask", draw_pad_mask_panel);
    ImGui::End();

    begin_panel("Pipeline", l.pipeline);
    guarded(ctx_, "Pipeline", draw_pipeline_panel);
    ImGui::End();
}

void AppWindow::draw_status(const PanelRect& r) {
    begin_panel("##status", r, ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoScrollbar);
    const double now = glfwGetTime();
    const bool busy = ctx_.worker->busy();

    // Line 1: what the engine is doing.
    if (busy && !ctx_.steady_screen && now - pass_started_ > kShowProgressAfter) {
        const std::string stage = ctx_.worker->stage();
        ImGui::AlignTextToFramePadding();
        ImGui::TextUnformatted("Computing");
        ImGui::SameLine();
        ImGui::ProgressBar(ctx_.worker->progress(), ImVec2(ImGui::GetFontSize() * 16.0f, 0.0f),
                           stage.empty() ? "starting" : stage.c_str());
        ImGui::SameLine();
        if (cancelled_) {
            ImGui::TextColored(kWarnColour, "cancelling: the pass stops at the end of this stage");
        } else {
            if (ImGui::SmallButton("Cancel")) {
                ctx_.worker->cancel();
                cancelled_ = true;
            }
            ctx_.note_item("status.cancel");
            ImGui::SameLine();
            ImGui::TextColored(kDimColour, "%.1f s%s", now - pass_started_,
                               ctx_.scene ? "   (the maps shown are those of the previous settings)" : "");
        }
    } else if (!blocked_.empty()) {
        text_line(kWarnColour, "Not computed: " + blocked_);
    } else if (!ctx_.engine_error.empty()) {
        text_line(kErrorColour, std::string(ctx_.scene ? "Not computed (the maps are those of the last settings that "
                                                         "worked): "
                                                       : "Not computed: ") +
                                    ctx_.engine_error);
    } else if (cancelled_) {
        text_line(kWarnColour, ctx_.scene ? "Cancelled: the maps are those of the previous settings; change a setting "
                                            "to compute again"
                                          : "Cancelled: nothing computed; change a setting to compute again");
    } else if (!ctx_.scene) {
        text_line(kDimColour, "Computing the first pass...");
    } else if (ctx_.steady_screen) {
        text_line(kOkColour, "Ready");
    } else {
        char buf[128];
        std::snprintf(buf, sizeof buf, "Ready   pass %.2f s   %.0f FPS", ctx_.engine_seconds, fps_);
        text_line(kOkColour, buf);
    }

    // Line 2: the newest message, and all of them on request.
    const float button_w = ImGui::CalcTextSize("Messages (000)").x + ImGui::GetStyle().FramePadding.x * 2.0f;
    const Message* newest = ctx_.messages.empty() ? nullptr : &ctx_.messages.back();
    const bool show_newest =
        newest && newest->text != ctx_.engine_error &&
        (newest->kind == Message::Kind::Error || ctx_.steady_screen || now - newest->shown_at < kInfoShownFor);
    ImGui::BeginChild(
        "##message",
        ImVec2(r.w - button_w - ImGui::GetStyle().WindowPadding.x * 3.0f, ImGui::GetTextLineHeightWithSpacing()), false,
        ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
    if (show_newest)
        text_line(newest->kind == Message::Kind::Error ? kErrorColour : ImVec4(1, 1, 1, 1), newest->text);
    else
        text_line(kDimColour,
                  "Ctrl+E exports every map (more in the File menu); drop a picture or a .safetensors "
                  "file on the window to use it");
    ImGui::EndChild();
    ImGui::SameLine(r.w - button_w - ImGui::GetStyle().WindowPadding.x);
    const std::string label = "Messages (" + std::to_string(ctx_.messages.size()) + ")";
    if (ImGui::SmallButton(label.c_str())) ImGui::OpenPopup("messages");
    ctx_.note_item("status.messages");
    ImGui::SetNextWindowSizeConstraints(ImVec2(r.w * 0.5f, 0.0f), ImVec2(r.w * 0.9f, r.y * 0.8f));
    if (ImGui::BeginPopup("messages")) {
        if (ctx_.messages.empty()) ImGui::TextUnformatted("No messages.");
        for (auto it = ctx_.messages.rbegin(); it != ctx_.messages.rend(); ++it) {
            ImGui::PushStyleColor(ImGuiCol_Text, it->kind == Message::Kind::Error ? kErrorColour : ImVec4(1, 1, 1, 1));
            ImGui::TextWrapped("%s", it->text.c_str());
            ImGui::PopStyleColor();
        }
        if (!ctx_.messages.empty() && ImGui::Button("Clear")) ctx_.messages.clear();
        ImGui::EndPopup();
    }
    ImGui::End();
}

void AppWindow::after_render(int fb_w, int fb_h, double now) {
    ++frames_since_pass_;
    if (!options_.test_layout.empty()) write_test_layout(now);
    if (options_.screenshot.empty() && options_.export_and_exit.empty()) return;

    const bool settled = pass_settled() && (ctx_.scene || !ctx_.engine_error.empty());
    const bool stuck = !blocked_.empty();  // settings that will never be computed
    if (!(settled || stuck)) {
        ready_frames_ = 0;
        return;
    }
    // A few frames after the pass: its textures are made and ImGui's auto-sized parts settle.
    if (++ready_frames_ < 4) return;
    if (!options_.export_and_exit.empty()) {
        export_and_exit();
        if (options_.screenshot.empty()) return;
    }

    RgbImage shot;
    shot.width = fb_w;
    shot.height = fb_h;
    shot.pixels.resize(static_cast<size_t>(fb_w) * fb_h * 3);
    std::vector<uint8_t> rows(shot.pixels.size());
    {
        gl::PixelTransferGuard pack;  // GL_PACK_ALIGNMENT 1: rows of 3 * width bytes
        glReadBuffer(GL_BACK);
        glReadPixels(0, 0, fb_w, fb_h, GL_RGB, GL_UNSIGNED_BYTE, rows.data());
    }
    // GL's rows go bottom up; a PNG's top down.
    const size_t stride = static_cast<size_t>(fb_w) * 3;
    for (int y = 0; y < fb_h; ++y)
        std::copy_n(&rows[static_cast<size_t>(fb_h - 1 - y) * stride], stride,
                    &shot.pixels[static_cast<size_t>(y) * stride]);
    try {
        write_png(options_.screenshot, shot);
        if (!ctx_.engine_error.empty() || stuck) {
            std::cerr << "attnscope: --screenshot: saved, but the pass did not run: "
                      << (stuck ? blocked_ : ctx_.engine_error) << '\n';
            exit_code_ = 1;
        }
    } catch (const std::exception& e) {
        std::cerr << "attnscope: --screenshot: " << e.what() << '\n';
        exit_code_ = 1;
    }
    glfwSetWindowShouldClose(window_, GLFW_TRUE);
}

// --export DIR: what Ctrl+E writes, then the window closes; exit 1 when there was nothing to export.
void AppWindow::export_and_exit() {
    glfwSetWindowShouldClose(window_, GLFW_TRUE);
    if (!ctx_.scene || !ctx_.engine_error.empty() || !blocked_.empty()) {
        std::cerr << "attnscope: --export: the pass did not run: "
                  << (!blocked_.empty() ? blocked_ : ctx_.engine_error.empty() ? "no result" : ctx_.engine_error)
                  << '\n';
        exit_code_ = 1;
        return;
    }
    try {
        std::cerr << "attnscope: " << export_maps(ctx_, ExportKind::EveryMap, options_.export_and_exit).summary << '\n';
    } catch (const std::exception& e) {
        std::cerr << "attnscope: --export: " << e.what() << '\n';
        exit_code_ = 1;
    }
}

void AppWindow::write_test_layout(double now) {
    // For the end-to-end test: where the widgets are (window pixels) and what the window shows.
    if (now - layout_written_ < 0.1) return;
    nlohmann::json j;
    int wx = 0, wy = 0, ww = 0, wh = 0;
    glfwGetWindowPos(window_, &wx, &wy);
    glfwGetWindowSize(window_, &ww, &wh);
    j["window"] = {wx, wy, ww, wh};
    j["items"] = nlohmann::json::object();
    for (const auto& [name, r] : ctx_.item_rects)
        j["items"][name] = {r[0], r[1], r[2], r[3]};
    nlohmann::json st;
    st["ready"] = ctx_.scene != nullptr && pass_settled() && frames_since_pass_ >= 2;
    st["busy"] = ctx_.worker->busy();
    st["blocked"] = blocked_;
    st["engine_error"] = ctx_.engine_error;
    st["sentences"] = ctx_.settings.sentences;
    st["heads"] = ctx_.settings.heads;
    if (ctx_.scene && ctx_.maps) {
        st["pass"] = {
            {"batches", ctx_.maps->batches()}, {"heads", ctx_.maps->heads()}, {"tokens", ctx_.maps->tokens()}};
    }
    st["exports"] = exports_done_;
    st["last_export"] = last_export_summary_;
    nlohmann::json messages = nlohmann::json::array();
    for (const Message& m : ctx_.messages)
        messages.push_back(m.text);
    st["messages"] = messages;
    // What the tests of bad inputs, crash restore and load read: every message with its kind,
    // the whole settings (the session's JSON), and that frames keep coming (their count and the
    // start times of the last 600, in glfwGetTime seconds).
    nlohmann::json log = nlohmann::json::array();
    for (const Message& m : ctx_.messages)
        log.push_back({{"kind", m.kind == Message::Kind::Error ? "error" : "info"}, {"text", m.text}});
    st["message_log"] = log;
    st["settings"] = settings_to_json(ctx_.settings);
    st["frame"] = ImGui::GetFrameCount();
    st["time"] = now;
    st["frame_starts"] = frame_starts_;
    st["cancelled"] = cancelled_;
    st["stage"] = ctx_.worker->stage();
    st["progress"] = ctx_.worker->progress();
    st["engine_seconds"] = ctx_.engine_seconds;
    j["state"] = st;
    const std::string text = j.dump(1, ' ', false, nlohmann::json::error_handler_t::replace);
    layout_written_ = now;
    if (text == layout_json_) return;
    try {
        write_file_atomically(options_.test_layout, text.data(), text.size());
        layout_json_ = text;
    } catch (const std::exception& e) {
        ctx_.error(std::string("ATTNSCOPE_TEST_LAYOUT: ") + e.what());
    }
}

}  // namespace attn::gui
