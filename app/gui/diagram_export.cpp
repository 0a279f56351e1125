#include "diagram_export.h"

#include "diagram_svg.h"
#include "io/atomic_file.h"

#include "errors.h"
#include "export/png.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>

namespace attn::gui {

namespace fs = std::filesystem;

namespace {

std::string step_name(const AppContext& ctx, int step) {
    char text[16];
    std::snprintf(text, sizeof text, "%02d_", step);
    return text + ctx.trace->steps[static_cast<size_t>(step)].name;
}

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

void DiagramExporter::start(const AppContext& ctx, DiagramExportKind kind, bool every_step) {
    if (!ctx.trace || ctx.trace->steps.empty()) throw ConfigError("nothing to export: no pass has finished");
    cancel();
    const int n = static_cast<int>(ctx.trace->steps.size());
    const int step = std::clamp(ctx.settings.step, 0, n - 1);
    kind_ = kind;
    pass_ = ctx.pass_id;
    const bool one_frame = kind == DiagramExportKind::Frame || kind == DiagramExportKind::Svg;
    first_ = one_frame || !every_step ? step : 0;
    last_ = one_frame || !every_step ? step : n - 1;
    frame_progress_ = ctx.settings.anim_progress;
    next_ = 0;
    total_ = one_frame ? 1 : (last_ - first_ + 1) * frames_per_step();
    dir_ = ctx.export_dir.empty() ? std::string("attnscope-export") : ctx.export_dir;
    const std::string what = every_step && !one_frame ? "every_step" : step_name(ctx, step);
    if (one_frame) {
        char pct[16];
        std::snprintf(pct, sizeof pct, "_%03d", static_cast<int>(std::lround(frame_progress_ * 100.0f)));
        name_ = "diagram_" + what + pct + (kind == DiagramExportKind::Svg ? ".svg" : ".png");
    } else {
        name_ = "diagram_" + what + (kind == DiagramExportKind::Gif ? ".gif" : "_frames");
    }
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) throw FileError(dir_ + ": cannot make the export folder (" + ec.message() + ")");
    if (kind == DiagramExportKind::Gif) gif_ = std::make_unique<GifWriter>(kWidth, kHeight, 0);
    if (kind == DiagramExportKind::Frames) {
        std::mt19937 rng(static_cast<unsigned>(now_s() * 1000.0));
        temp_dir_ = (fs::path(dir_) / (name_ + ".partial-" + std::to_string(rng() % 1000000))).string();
        fs::create_directories(temp_dir_, ec);
        if (ec) throw FileError(temp_dir_ + ": cannot make the folder (" + ec.message() + ")");
    }
    active_ = true;
}

float DiagramExporter::progress() const {
    return total_ > 0 ? static_cast<float>(next_) / static_cast<float>(total_) : 1.0f;
}

void DiagramExporter::cancel() {
    if (!temp_dir_.empty()) {
        std::error_code ec;
        fs::remove_all(temp_dir_, ec);
    }
    temp_dir_.clear();
    gif_.reset();
    active_ = false;
}

std::optional<std::string> DiagramExporter::run(AppContext& ctx, StepDiagrams& diagrams, DiagramPainter& painter,
                                                double budget_s) {
    if (!active_) return std::nullopt;
    try {
        if (!ctx.trace || ctx.pass_id != pass_) {
            cancel();
            return std::string("Diagram export stopped: the pass changed while it ran");
        }
        const double until = now_s() + budget_s;
        do {
            const int per = frames_per_step();
            const bool one_frame = kind_ == DiagramExportKind::Frame || kind_ == DiagramExportKind::Svg;
            const int step = one_frame ? first_ : first_ + next_ / per;
            const int f = one_frame ? 0 : next_ % per;
            const float t = one_frame
                                ? frame_progress_
                                : (f < kTweenFrames ? static_cast<float>(f) / static_cast<float>(kTweenFrames) : 1.0f);
            const anim::Picture picture = diagrams.animation(ctx, step).frame(t);
            if (kind_ == DiagramExportKind::Svg) {  // the picture itself: no painting
                const std::string svg = anim::picture_svg(picture, "attnscope: " + name_);
                write_file_atomically((fs::path(dir_) / name_).string(), svg.data(), svg.size());
                ++next_;
                continue;
            }
            painter.paint(picture, kWidth, kHeight);
            const RgbImage image = painter.read_rgb();
            if (kind_ == DiagramExportKind::Frame) {
                write_png((fs::path(dir_) / name_).string(), image);
            } else if (kind_ == DiagramExportKind::Gif) {
                gif_->add_frame(image, f < kTweenFrames ? kTweenDelayCs : kHoldDelayCs);
            } else {
                char file[32];
                std::snprintf(file, sizeof file, "frame_%04d.png", next_);
                write_png((fs::path(temp_dir_) / file).string(), image);
            }
            ++next_;
        } while (next_ < total_ && now_s() < until);
        if (next_ < total_) return std::nullopt;
        return finish();
    } catch (const std::exception& e) {
        cancel();
        return std::string("Diagram export failed: ") + e.what();
    }
}

std::string DiagramExporter::finish() {
    const fs::path out = fs::path(dir_) / name_;
    if (kind_ == DiagramExportKind::Gif) {
        write_gif(out.string(), *gif_);
        gif_.reset();
    } else if (kind_ == DiagramExportKind::Frames) {
        // The complete folder takes the place of an older one in two renames.
        std::error_code ec;
        const fs::path old = out.string() + ".old";
        fs::remove_all(old, ec);
        if (fs::exists(out, ec)) fs::rename(out, old);
        fs::rename(temp_dir_, out);
        fs::remove_all(old, ec);
        temp_dir_.clear();
    }
    active_ = false;
    const std::string what = kind_ == DiagramExportKind::Frame || kind_ == DiagramExportKind::Svg
                                 ? "a frame"
                                 : std::to_string(total_) + " frames";
    return "Diagram: " + what + " written to " + out.string();
}

}  // namespace attn::gui
