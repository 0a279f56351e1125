// Saving what the window shows, through the map model's one exporter (core/maps/map_export.h)
// with the GL painter, so that a file is what the Attention panel draws and has the same name,
// size and pixels (within the GPU's rounding) as attnscope-cli's --export-maps:
//   cross modules   b0_h3_t2_jerry.png (batch, head, token), b0_mean_t2_jerry.png (mean over heads)
//   self modules    b0_h3.png (batch, head)
// plus maps.json listing every file with its batch, head, token and size. The raw tensors go
// to tensors/ as .npy (dump_trace). Every file is written whole or not at all.
#pragma once

#include "app_context.h"
#include "maps/map_export.h"

#include <string>

namespace attn::gui {

enum class ExportKind {
    CurrentMap,  // the map on screen (Ctrl+Shift+E)
    EveryMap,    // every map of the pass, with maps.json (Ctrl+E)
    Grid,        // the batch item's maps tiled into one picture: heads (and mean) x tokens
    Tensors,     // every step's tensor as .npy, trace.json, output.npy, attn.npy (tensors/)
};

// Writes into `dir` (created when missing). Throws attn::Error (FileError...) with a message for
// the window; InternalError when there is no pass yet. Needs the GL context current.
ExportResult export_maps(AppContext& ctx, ExportKind kind, const std::string& dir);

}  // namespace attn::gui
