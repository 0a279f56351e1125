// attnscope: the desktop app. Opens on the bundled default (the seed's three sentences over the
// cat picture, CrossMultiAttention with 8 heads and emb_dim 512) or on the last session, with
// the command line's inputs on top. Set up and torn down like Dear ImGui's
// examples/example_glfw_opengl3/main.cpp, in reverse order at the end.
#include "io/asset_dir.h"
#include "model/memory_budget.h"
#include "app_context.h"
#include "app_window.h"
#include "engine_worker.h"
#include "ui_style.h"
#include "gl_context.h"
#include "leak_report.h"
#include "map_views.h"
#include "model_run.h"
#include "settings.h"

#include <CLI/CLI.hpp>
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

namespace {

using namespace attn;
using namespace attn::gui;

struct CommandLine {
    std::optional<std::string> image, module, model, attentions, session, export_dir, screenshot, export_and_exit;
    std::vector<std::string> texts;
    std::optional<int> heads, emb_dim, max_len, layer;
};

// The command line on top of the restored session. Throws ConfigError for a bad --module, or for
// a path that is not UTF-8 (the window's text fields can hold only UTF-8: Dear ImGui asserts when
// other bytes are edited). Bytes of a --text that are not UTF-8 are read as U+FFFD, with a warning.
void apply(const CommandLine& cl, Settings& s, std::vector<std::string>* warnings) {
    for (const auto& [option, path] : {std::pair{"--image", cl.image}, std::pair{"--export-dir", cl.export_dir}}) {
        size_t replaced = 0;
        if (path) replace_invalid_utf8(*path, &replaced);
        if (replaced > 0)
            throw ConfigError(std::string(option) + " " + replace_invalid_utf8(*path, &replaced) +
                              ": the path is not valid UTF-8, which the window cannot show (rename it, or use "
                              "attnscope-cli)");
    }
    // A FIFO or a terminal would block the engine's reader for good (and the app's exit, which
    // joins it); a missing file is the engine's message.
    std::error_code ec;
    if (cl.image && std::filesystem::exists(*cl.image, ec) && !std::filesystem::is_regular_file(*cl.image, ec))
        throw ConfigError("--image " + *cl.image + ": not a regular file");
    if (cl.image) s.image_path = std::filesystem::absolute(*cl.image).string();
    if (!cl.texts.empty()) {
        // A new batch from the command line is padded to its own longest sentence (unless
        // --max-len says otherwise), whatever max_len the session had.
        s.max_len = 0;
        s.sentences.clear();
        for (size_t i = 0; i < cl.texts.size(); ++i) {
            size_t replaced = 0;
            s.sentences.push_back(replace_invalid_utf8(cl.texts[i], &replaced));
            if (replaced > 0)
                warnings->push_back("--text of sentence " + std::to_string(i + 1) + ": " + std::to_string(replaced) +
                                    " byte(s) that are not UTF-8 were read as U+FFFD (shown as '?')");
        }
    }
    if (cl.module && cl.model)
        throw ConfigError("--module and --model: choose one (the seed's module or a real model)");
    if (cl.module) {
        s.module = parse_module_kind(*cl.module);
        s.model.clear();  // the seed's module, whatever the session had
    }
    if (cl.model) {
        size_t replaced = 0;
        replace_invalid_utf8(*cl.model, &replaced);
        if (replaced > 0)
            throw ConfigError("--model " + replace_invalid_utf8(*cl.model, &replaced) +
                              ": the path is not valid UTF-8, which the window cannot show (rename it, or use "
                              "attnscope-cli)");
        // A missing or unusable folder is the worker's message (load_model names the file and why).
        s.model = model_request_name(*cl.model);
    }
    if (cl.attentions) {
        if ((cl.model || cl.module))
            throw ConfigError("--attentions and --" + std::string(cl.model ? "model" : "module") +
                              ": choose one (a file of saved attention holds its model's weights already)");
        size_t replaced = 0;
        const std::string shown = replace_invalid_utf8(*cl.attentions, &replaced);
        if (replaced > 0)
            throw ConfigError("--attentions " + shown +
                              ": the path is not valid UTF-8, which the window cannot show (rename it, or use "
                              "attnscope-cli)");
        // A FIFO or a folder would not be a file the reader can take; the file's own problems
        // (wrong rank, token counts, NaN...) are the worker's message, in the window.
        if (!names_attentions_file(*cl.attentions))
            throw ConfigError("--attentions " + shown +
                              ": no such file (a .safetensors file of saved attention, "
                              "as attnscope_save.py writes it)");
        s.model = model_request_name(*cl.attentions);
    }
    if (cl.layer && !cl.model && !cl.attentions && s.model.empty())
        throw ConfigError("--layer belongs to a real model: give --model PATH|use-lite (or --attentions FILE) too");
    if (cl.heads) s.heads = *cl.heads;
    if (cl.emb_dim) s.emb_dim = *cl.emb_dim;
    if (cl.max_len) s.max_len = *cl.max_len;
}

}  // namespace

int main(int argc, char** argv) {
    attn::keep_freed_memory_for_reuse();
    CLI::App app("attnscope: see what attention does, head by head, over your text and pictures");
    CommandLine cl;
    app.add_option("--image", cl.image, "The picture the cross modules look at (PNG, JPEG...)");
    app.add_option("--text", cl.texts, "A sentence of the batch (repeat for more)");
    app.add_option("--module", cl.module, "self | multihead | cross | cross-multihead | torch-mha");
    app.add_option("--model", cl.model,
                   "A real trained model instead of the seed's module: use-lite (attnscope-cli fetch use-lite), or "
                   "a Hugging Face BERT or ViT folder (attnscope-cli models lists them)");
    app.add_option("--attentions", cl.attentions,
                   "A .safetensors file of saved attention from any model ([layers, b, heads, Lq, Lk], as "
                   "share/attnscope/python/attnscope_save.py writes it): every view but the Pipeline's steps");
    app.add_option("--layer", cl.layer, "With --model: the layer shown (0 = nearest the input; -1 = the last)")
        ->check(CLI::Range(-1, 4096));
    app.add_option("--heads", cl.heads, "Number of heads")->check(CLI::Range(1, 4096));
    app.add_option("--emb-dim", cl.emb_dim, "Embedding size (emb_dim)")->check(CLI::Range(1, 4096));
    app.add_option("--max-len", cl.max_len,
                   "Pad or cut sentences to this many tokens (0: auto, the longest sentence; the seed's own "
                   "batch pads to 5)")
        ->check(CLI::Range(0, 512));
    app.add_option("--session", cl.session,
                   "Session file to restore and save (default: " + default_session_path() + ")");
    app.add_option("--export-dir", cl.export_dir, "Where exports go (default: ./attnscope-export)");
    app.add_option("--export", cl.export_and_exit,
                   "Export every map into this folder once the first pass is drawn (as Ctrl+E does), then exit "
                   "(the session is not saved)");
    app.add_option("--screenshot", cl.screenshot,
                   "Save the window as PNG once the first pass is drawn, then exit (the session is not saved)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }

    AppContext ctx;
    ctx.asset_dir = asset_dir();
    ctx.export_dir = cl.export_dir.value_or("attnscope-export");
    ctx.session_path = cl.session.value_or(default_session_path());

    // The session first (a broken file gives the defaults and a message), then the command line.
    std::vector<std::string> warnings, text_warnings;
    ctx.settings = load_session(ctx.session_path, &warnings);
    try {
        apply(cl, ctx.settings, &text_warnings);
    } catch (const Error& e) {
        std::cerr << "attnscope: " << e.what() << '\n';
        return 2;
    }
    // A screenshot is a one-off rendering: it never overwrites the session it was given.
    if (cl.screenshot || cl.export_and_exit) ctx.session_path.clear();

    std::optional<gl::GlContext> gl_context;
    try {
        gl::GlContextOptions options;
        options.width = 1440;
        options.height = 900;
        options.title = "attnscope";
        options.quiet_open = true;  // a missing display is one line: ours, below
        gl_context.emplace(options);
    } catch (const gl::DisplayError& e) {
        std::cerr << "attnscope: " << e.what() << '\n';
        return 2;
    }

    attn::gl::pin_loaded_libraries();          // for LeakSanitizer's report (sanitizer builds)
    ctx.clock = [] { return glfwGetTime(); };  // one time line for messages and the status bar

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // the layout is ours and fixed; nothing to remember
    // No keyboard navigation: the arrow keys step through the Pipeline (Tab still moves between
    // text fields).
    ImGui_ImplGlfw_InitForOpenGL(gl_context->window(), true);
    ImGui_ImplOpenGL3_Init("#version 330 core");
    // The theme, the presentation size and the fonts (with the session's sentences and the
    // lessons' texts) are made by the window, before its first frame: ui_style.h.
    UiStyle style(ctx.asset_dir);

    if (!warnings.empty()) {
        std::string text = "Session " + ctx.session_path + " could not be fully restored: ";
        for (size_t i = 0; i < warnings.size(); ++i)
            text += (i ? "; " : "") + warnings[i];
        ctx.error(text);
    }
    for (const std::string& w : text_warnings)
        ctx.error(w);

    int status = 0;
    {
        EngineWorker worker;
        std::optional<MapViews> maps;
        try {
            maps.emplace();
        } catch (const std::exception& e) {
            std::cerr << "attnscope: the map shaders do not build on this GPU: " << e.what() << '\n';
            status = 2;
        }
        if (maps) {
            ctx.worker = &worker;
            ctx.maps = &*maps;
            AppOptions options;
            if (cl.screenshot) options.screenshot = *cl.screenshot;
            if (cl.export_and_exit) options.export_and_exit = *cl.export_and_exit;
            if (cl.layer) options.layer = *cl.layer;
            if (const char* layout = std::getenv("ATTNSCOPE_TEST_LAYOUT"); layout && *layout)
                options.test_layout = layout;
            AppWindow window(gl_context->window(), ctx, options, style);
            status = window.run();
            ctx.maps = nullptr;
            ctx.worker = nullptr;
        }
    }  // the worker joins and the map textures go while the GL context still lives

    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    gl_context.reset();
    return status;
}
