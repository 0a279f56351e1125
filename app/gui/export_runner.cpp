#include "export_runner.h"

#include "maps/map_export.h"

namespace attn::gui {

void ExportRunner::frame(AppContext& ctx, bool settled, const std::string& stale_note, double seconds) {
    if (running_) {
        try {
            if (!running_->job->step(ctx.maps->painter(), seconds)) return;
            const ExportResult r = running_->job->finish();
            const std::string note = running_->note;
            running_.reset();
            finished(ctx, r, note);
        } catch (const std::exception& e) {
            running_.reset();
            ctx.error(std::string("Export failed: ") + e.what());
        }
        return;
    }
    if (!pending_ || !settled) return;
    const ExportKind kind = *pending_;
    pending_.reset();
    start(ctx, kind, stale_note);
}

void ExportRunner::start(AppContext& ctx, ExportKind kind, const std::string& stale_note) {
    if (!ctx.has_pass() || !ctx.maps || !ctx.maps->model()) {
        ctx.error("Nothing to export: no pass has finished" +
                  (ctx.engine_error.empty() ? std::string() : " (" + ctx.engine_error + ")"));
        return;
    }
    try {
        if (kind == ExportKind::EveryMap) {
            Running r;
            r.model = ctx.maps->shared_model();
            r.job = std::make_unique<EveryMapExport>(*r.model, export_options(ctx), ctx.export_dir);
            r.dir = ctx.export_dir;
            r.note = stale_note;
            running_ = std::move(r);
            return;
        }
        finished(ctx, export_maps(ctx, kind, ctx.export_dir), stale_note);
    } catch (const std::exception& e) {
        ctx.error(std::string("Export failed: ") + e.what());
    }
}

void ExportRunner::finished(AppContext& ctx, const ExportResult& result, const std::string& note) {
    last_summary_ = result.summary + note;
    ++done_;
    ctx.info(last_summary_);
}

void ExportRunner::finish_now(AppContext& ctx) {
    if (!running_) return;
    frame(ctx, /*settled=*/true, running_->note, 1e9);
}

std::string ExportRunner::progress() const {
    if (!running_) return "";
    return "Exporting " + std::to_string(running_->job->done()) + " of " + std::to_string(running_->job->total()) +
           " maps to " + running_->dir;
}

}  // namespace attn::gui
