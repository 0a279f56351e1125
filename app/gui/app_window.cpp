#include "app_window.h"

#include "errors.h"
#include "layout.h"
#include "maps/attentions_file.h"
#include "model_run.h"
#include "menu_bar.h"
#include "panels/attention_panel.h"
#include "panels/explore_panel.h"
#include "panels/diagram_panel.h"
#include "panels/input_panel.h"
#include "panels/lesson_panel.h"
#include "panels/mask_lab_panel.h"
#include "panels/inspector_panel.h"
#include "panels/model_panel.h"
#include "panels/pad_mask_panel.h"
#include "panels/pipeline_panel.h"
#include "screenshot.h"
#include "shader.h"
#include "shader_sources.h"

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <glad/gl.h>
#include <imgui.h>
#include <imgui_internal.h>  // ErrorCheckEndFrameRecover

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cfloat>
#include <filesystem>
#include <iostream>
#include <utility>

namespace attn::gui {

namespace {

std::string lower_extension(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

}  // namespace

AppWindow::AppWindow(GLFWwindow* window, AppContext& ctx, AppOptions options, UiStyle& style)
    : window_(window),
      ctx_(ctx),
      options_(std::move(options)),
      input_(window),
      scheduler_(ctx),
      saver_(ctx, ctx.settings),
      style_(style),
      tour_(load_lessons(lesson_dirs(ctx.asset_dir), ctx.asset_dir)),
      lesson_panel_(std::make_unique<LessonPanel>(tour_, scheduler_)),
      input_panel_(std::make_unique<InputPanel>()),
      model_panel_(std::make_unique<ModelPanel>()),
      attention_panel_(std::make_unique<AttentionPanel>()),
      pad_mask_panel_(std::make_unique<PadMaskPanel>()),
      pipeline_panel_(std::make_unique<PipelinePanel>()),
      explore_panel_(std::make_unique<ExplorePanel>()),
      diagram_panel_(std::make_unique<DiagramPanel>()),
      inspector_panel_(std::make_unique<InspectorPanel>()),
      mask_lab_panel_(std::make_unique<MaskLabPanel>()),
      status_bar_(scheduler_, fps_) {
    if (!options_.test_layout.empty()) {
        test_layout_.emplace(options_.test_layout);
        tracker_.set_forward(&*test_layout_);
    }
    ctx_.items = &tracker_;  // the lessons point at widgets by the names the panels record
    ctx_.steady_screen = !options_.screenshot.empty();
    // A one-off run keeps a model that cannot be loaded as its failure (exit 1), not the seed's maps.
    if (!options_.screenshot.empty() || !options_.export_and_exit.empty()) ctx_.revert_unusable_models = false;
    if (options_.layer) scheduler_.show_layer_when_loaded(*options_.layer);
    for (const std::string& e : tour_.library().errors)
        ctx_.error(e);
    for (const std::string& n : tour_.library().notes)
        ctx_.info(n);
    // The fonts and the style at the session's size and theme, before the first frame.
    style_.apply(window_, ctx_.settings, [this] { return glyph_text(); });
    for (const std::string& p : style_.font_problems())
        ctx_.error(p);
}

AppWindow::~AppWindow() {
    ctx_.items = nullptr;
}

int AppWindow::run() {
    started_ = ctx_.clock();
    while (!glfwWindowShouldClose(window_)) {
        // Frames keep coming without input while the engine works or an edit waits for its
        // debounce; otherwise an event (or 50 ms) wakes the loop.
        const bool lively = ctx_.worker->busy() || scheduler_.waiting() || !options_.screenshot.empty() ||
                            !options_.export_and_exit.empty() || exports_.active() || ctx_.animating ||
                            ctx_.side_pass_busy;
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
            input_.release_held_keys();
            ctx_.error(std::string("internal error, the window goes on: ") + e.what());
        }
        if ((!options_.screenshot.empty() || !options_.export_and_exit.empty()) &&
            ctx_.clock() - started_ > options_.screenshot_timeout_s) {
            std::cerr << "attnscope: " << (options_.screenshot.empty() ? "--export" : "--screenshot")
                      << ": the first pass was not drawn within " << options_.screenshot_timeout_s << " s\n";
            return 1;
        }
    }
    exports_.finish_now(ctx_);  // a folder being written gets its last maps and maps.json
    saver_.save_when_due(ctx_.clock(), /*force=*/true);
    return exit_code_;
}

void AppWindow::frame() {
    const double now = ctx_.clock();
    if (test_layout_) test_layout_->frame_started(now);
    before_frame(now);

    int fb_w = 0, fb_h = 0;
    glfwGetFramebufferSize(window_, &fb_w, &fb_h);
    if (fb_w <= 0 || fb_h <= 0) return;

    // A new presentation size or theme: the fonts are made again at the new size, between frames.
    style_.apply(window_, ctx_.settings, [this] { return glyph_text(); });
    ImGui_ImplOpenGL3_NewFrame();
    style_.first_frame_done();  // the backend has made its font texture
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
    tracker_.begin_frame();

    ctx_.animating = false;
    ctx_.side_pass_busy = false;
    ctx_.probes.clear();
    handle_shortcuts();
    // The lesson's step: its Pipeline step selected once the pass has it, its task checked; a
    // step just entered brings the widgets it points at into view.
    tour_.update(ctx_, scheduler_.settled());
    if (tour_.take_entered())
        if (const LessonStep* step = tour_.step(ctx_.settings)) tracker_.bring_into_view(step->highlight);
    if (const int step = tour_.take_selected_step(); step >= 0)
        tracker_.bring_into_view({"pipeline.step." + std::to_string(step)});
    handle_menu(draw_menu_bar(ctx_, [this] { draw_lessons_menu(); }));
    const float status_h = ImGui::GetTextLineHeightWithSpacing() * 2.0f + ImGui::GetStyle().WindowPadding.y * 2.0f;
    Layout layout =
        compute_layout(io.DisplaySize.x, io.DisplaySize.y, ImGui::GetFrameHeight(), status_h, style_.scale());
    if (ctx_.real_model()) make_room_for_model(layout);
    if (test_layout_) ctx_.test_state = nlohmann::json::object();  // the views fill it anew each frame
    if (tour_.lesson(ctx_.settings)) {
        make_room_for_lesson(layout);
        lesson_panel_->draw(ctx_, layout.lesson);
    }
    input_panel_->draw(ctx_, layout.input);
    model_panel_->draw(ctx_, layout.model);
    attention_panel_->draw(ctx_, layout.attention);
    // A real model's padding is its attention_mask, shown in the Explore panel's Tokens tab.
    if (ctx_.real_model())
        explore_panel_->draw(ctx_, layout.pad_mask);
    else
        pad_mask_panel_->draw(ctx_, layout.pad_mask);
    pipeline_panel_->draw(ctx_, layout.pipeline);
    // The floating windows open over the centre column, where the maps are.
    const PanelRect& c = layout.attention;
    diagram_panel_->draw(ctx_,
                         {c.x + 8.0f, c.y + 8.0f, c.w - 16.0f, std::min(c.h * 1.2f, (c.w - 16.0f) * 0.62f + 80.0f)});
    inspector_panel_->draw(ctx_, {c.x + c.w * 0.25f, c.y + 30.0f, c.w * 0.75f + layout.pipeline.w * 0.3f, c.h * 1.25f});
    mask_lab_panel_->draw(
        ctx_, {layout.input.x + 16.0f, c.y + 16.0f, layout.input.w + c.w - 32.0f, layout.pipeline.h - 32.0f});
    status_bar_.draw(ctx_, layout.status);
    draw_lesson_highlights(now);

    ImGui::Render();
    in_frame_ = false;
    input_.release_held_keys();
    glViewport(0, 0, fb_w, fb_h);
    float clear[4];
    style_.clear_colour(clear);
    glClearColor(clear[0], clear[1], clear[2], clear[3]);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    after_render(fb_w, fb_h, now);
    glfwSwapBuffers(window_);
    if (test_layout_) test_layout_->frame_finished(ctx_.clock());

    if (last_frame_time_ > 0.0) {
        const double dt = now - last_frame_time_;
        if (dt > 0.0) fps_ = fps_ == 0.0 ? 1.0 / dt : 0.95 * fps_ + 0.05 / dt;
    }
    last_frame_time_ = now;
}

void AppWindow::before_frame(double now) {
    handle_drops();
    if (scheduler_.take_results() && ctx_.maps) ctx_.maps->set_pass(ctx_.scene, ctx_.trace, ctx_.map_model);
    ctx_.show_layer_trace();  // a real model: the layer the settings name, whoever changed it
    scheduler_.submit_when_due(now);
    saver_.save_when_due(now, /*force=*/false);
    run_pending_export();
}

void AppWindow::run_pending_export() {
    // An export right after an edit waits for the pass of the new settings (settled), unless none
    // will come (settings refused, the pass cancelled): then the files say they are older.
    const bool none_coming = !scheduler_.blocked().empty() || scheduler_.cancelled();
    const std::string stale = none_coming || !ctx_.engine_error.empty()
                                  ? " (maps of the last pass that finished, not of the current settings)"
                                  : "";
    // A third of a 60 Hz frame for painting maps: the window stays responsive while they are written.
    exports_.frame(ctx_, scheduler_.settled() || none_coming, stale, 0.006);
    ctx_.export_progress = exports_.progress();
}

void AppWindow::handle_drops() {
    for (const std::string& path : input_.take_drops()) {
        // The path fields are Dear ImGui text fields, which must hold UTF-8 (1.86 asserts when
        // other bytes are edited): a file name in another encoding is refused with a message.
        size_t replaced = 0;
        const std::string shown = replace_invalid_utf8(path, &replaced);
        if (replaced > 0) {
            ctx_.error(shown + ": the file name is not valid UTF-8, which the window cannot show; rename the file");
            continue;
        }
        std::error_code dir_ec;
        if (std::filesystem::is_directory(path, dir_ec)) {
            // A folder is a model: the worker loads it (a folder it cannot use gives one message and
            // the model shown stays).
            ctx_.settings.model = model_request_name(path);
            ctx_.info("Opening the model folder " + path);
            continue;
        }
        if (lower_extension(path) == ".safetensors" && is_attentions_file(path)) {
            // Saved attention from another model (its header names an "attentions" tensor): opened
            // as a model without steps; a file the reader refuses gives one message, and what is
            // shown stays.
            ctx_.settings.model = model_request_name(path);
            ctx_.info("Opening the saved attention " + path);
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
    for (const WindowInput::KeyEvent& e : input_.take_presses()) {
        const bool ctrl = (e.mods & GLFW_MOD_CONTROL) != 0, shift = (e.mods & GLFW_MOD_SHIFT) != 0;
        if (ctrl && e.key == GLFW_KEY_E) exports_.request(shift ? ExportKind::CurrentMap : ExportKind::EveryMap);
        if (ctrl && e.key == GLFW_KEY_Q) glfwSetWindowShouldClose(window_, GLFW_TRUE);
        if (e.key == GLFW_KEY_F5) reload_shaders();
        if (e.key == GLFW_KEY_ESCAPE && ctx_.worker->busy() && !io.WantTextInput) scheduler_.cancel();
        // Presentation mode: Ctrl+= / Ctrl+- (and the keypad's + and -), Ctrl+0 for 100%.
        float& scale = ctx_.settings.ui_scale;
        if (ctrl && (e.key == GLFW_KEY_EQUAL || e.key == GLFW_KEY_KP_ADD)) scale = step_ui_scale(scale, 1);
        if (ctrl && (e.key == GLFW_KEY_MINUS || e.key == GLFW_KEY_KP_SUBTRACT)) scale = step_ui_scale(scale, -1);
        if (ctrl && (e.key == GLFW_KEY_0 || e.key == GLFW_KEY_KP_0)) scale = kMinUiScale;
        // A lesson's Next and Back on Page Down / Page Up: what a presenter's clicker sends.
        if (!ctrl && !io.WantTextInput && tour_.lesson(ctx_.settings)) {
            if (e.key == GLFW_KEY_PAGE_DOWN) tour_.next(ctx_);
            if (e.key == GLFW_KEY_PAGE_UP) tour_.back(ctx_);
        }
    }
}

void AppWindow::handle_menu(const MenuRequests& r) {
    if (r.export_kind) exports_.request(*r.export_kind);
    if (r.reload_shaders) reload_shaders();
    if (r.quit) glfwSetWindowShouldClose(window_, GLFW_TRUE);
}

void AppWindow::draw_lessons_menu() {
    const bool open = ImGui::BeginMenu("Lessons");
    ctx_.note_item("menu.lessons");
    if (!open) return;
    Settings& s = ctx_.settings;
    const LessonLibrary& library = tour_.library();
    if (library.lessons.empty()) ImGui::TextDisabled("No lessons found");
    std::vector<std::string> languages;
    for (const Lesson& lesson : library.lessons) {
        const std::string language =
            std::find(lesson.languages.begin(), lesson.languages.end(), s.language) != lesson.languages.end()
                ? s.language
                : "en";
        int done = 0, total = 0;
        for (const LessonStep& step : lesson.steps) {
            total += step.has_task ? 1 : 0;
            done +=
                step.has_task && std::binary_search(s.lesson_done.begin(), s.lesson_done.end(), task_key(lesson, step))
                    ? 1
                    : 0;
        }
        const std::string label = lesson.title.in(language) + "##" + lesson.id;
        const std::string progress = std::to_string(done) + " / " + std::to_string(total);
        if (ImGui::MenuItem(label.c_str(), progress.c_str(), s.lesson == lesson.id)) tour_.open(ctx_, lesson.id);
        ctx_.note_item("menu.lessons." + lesson.id);
        if (ImGui::IsItemHovered() && !lesson.summary.empty()) {
            ImGui::BeginTooltip();
            ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.0f);
            ImGui::TextUnformatted(lesson.summary.in(language).c_str());
            ImGui::PopTextWrapPos();
            ImGui::EndTooltip();
        }
        for (const std::string& l : lesson.languages)
            if (std::find(languages.begin(), languages.end(), l) == languages.end()) languages.push_back(l);
    }
    if (languages.size() > 1 && ImGui::BeginMenu("Language")) {
        for (const std::string& l : languages)
            if (ImGui::MenuItem(language_name(l).c_str(), nullptr, s.language == l)) s.language = l;
        ImGui::EndMenu();
    }
    if (ImGui::MenuItem("Close the lesson", nullptr, false, !s.lesson.empty())) tour_.close(ctx_);
    ImGui::Separator();
    if (ImGui::MenuItem("Read the lesson files again")) reload_lessons();
    ImGui::TextDisabled("Your own lessons: %s", user_lesson_dir().c_str());
    ImGui::EndMenu();
}

void AppWindow::reload_lessons() {
    tour_.reload(load_lessons(lesson_dirs(ctx_.asset_dir), ctx_.asset_dir));
    for (const std::string& e : tour_.library().errors)
        ctx_.error(e);
    ctx_.info("Read " + std::to_string(tour_.library().lessons.size()) + " lesson(s); " +
              std::to_string(tour_.library().errors.size()) + " left out");
    style_.invalidate_fonts();  // glyphs for the characters of new texts
}

void AppWindow::draw_lesson_highlights(double now) {
    const LessonStep* step = tour_.step(ctx_.settings);
    if (!step || step->highlight.empty()) return;
    // A screenshot shows the frames at one fixed moment of their pulse.
    tracker_.draw_highlights(step->highlight, ctx_.steady_screen ? 0.3 : now, style_.scale());
}

// Every text the fonts need glyphs for: the sentences, the README's example, the lessons.
std::vector<std::string> AppWindow::glyph_text() const {
    std::vector<std::string> text = ctx_.settings.sentences;
    text.push_back("汤姆追逐杰瑞");
    text.push_back("中文 上一步 下一步 完成 重新设置 恢复这一步的场景 已完成");  // the lesson panel's own words
    const auto add = [&](const LocalText& t) {
        for (const auto& [language, s] : t.by_language)
            text.push_back(s);
    };
    for (const Lesson& lesson : tour_.library().lessons) {
        add(lesson.title);
        add(lesson.summary);
        for (const LessonStep& step : lesson.steps) {
            for (const LocalText* t : {&step.title, &step.text, &step.task.what, &step.task.noticed})
                add(*t);
            text.push_back(step.section);
            text.insert(text.end(), step.code.begin(), step.code.end());
        }
    }
    return text;
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

void AppWindow::after_render(int fb_w, int fb_h, double now) {
    ++scheduler_.frames_since_pass;
    if (test_layout_) test_layout_->write(window_, ctx_, report(), now);
    if (options_.screenshot.empty() && options_.export_and_exit.empty()) return;

    const bool settled =
        scheduler_.settled() && !ctx_.side_pass_busy && (ctx_.has_pass() || !ctx_.engine_error.empty());
    const bool stuck = !scheduler_.blocked().empty();  // settings that will never be computed
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

    try {
        save_screenshot(options_.screenshot, fb_w, fb_h);
        if (!ctx_.engine_error.empty() || stuck) {
            std::cerr << "attnscope: --screenshot: saved, but the pass did not run: "
                      << (stuck ? scheduler_.blocked() : ctx_.engine_error) << '\n';
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
    const std::string blocked = scheduler_.blocked();
    if (!ctx_.has_pass() || !ctx_.engine_error.empty() || !blocked.empty()) {
        std::cerr << "attnscope: --export: the pass did not run: "
                  << (!blocked.empty()            ? blocked
                      : ctx_.engine_error.empty() ? "no result"
                                                  : ctx_.engine_error)
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

WindowReport AppWindow::report() const {
    WindowReport r;
    r.ready = ctx_.has_pass() && scheduler_.settled() && scheduler_.frames_since_pass >= 2;
    r.busy = ctx_.worker->busy();
    r.cancelled = scheduler_.cancelled();
    r.blocked = scheduler_.blocked();
    r.exports = exports_.done();
    r.last_export = exports_.last_summary();
    // What the lesson and presentation tests read.
    nlohmann::json lesson = nlohmann::json::object();
    if (const Lesson* l = tour_.lesson(ctx_.settings)) {
        const LessonStep& step = *tour_.step(ctx_.settings);
        nlohmann::json drawn = nlohmann::json::array();
        ImVec2 lo, hi;
        for (const std::string& name : step.highlight)
            if (tracker_.find(name, lo, hi)) drawn.push_back(name);
        lesson = {{"open", l->id},
                  {"step", tour_.step_index(ctx_.settings)},
                  {"step_id", step.id},
                  {"steps", l->steps.size()},
                  {"has_task", step.has_task},
                  {"task_done", tour_.done(ctx_.settings, step)},
                  {"language", tour_.language(ctx_.settings)},
                  {"highlight", step.highlight},
                  {"highlight_drawn", drawn},
                  {"pipeline_step", ctx_.trace && ctx_.settings.step >= 0 &&
                                            ctx_.settings.step < static_cast<int>(ctx_.trace->steps.size())
                                        ? ctx_.trace->steps[static_cast<size_t>(ctx_.settings.step)].name
                                        : ""}};
    }
    r.extra["lesson"] = lesson;
    nlohmann::json lessons = nlohmann::json::array();
    for (const Lesson& l : tour_.library().lessons)
        lessons.push_back(l.id);
    r.extra["lessons"] = lessons;
    r.extra["ui"] = {
        {"scale", style_.scale()}, {"font_px", ImGui::GetFontSize()}, {"theme", theme_name(style_.theme())}};
    return r;
}

}  // namespace attn::gui
