// MapViews: every attention map of a pass as a texture, through gl::MapRenderer and
// shaders/colormap.frag (see map_views.h for what is drawn and how it is normalised).
//
// One MapRenderer draws everything into its own target; a map that is shown is copied from there
// into a texture of its own (glCopyTexSubImage2D), so many maps can be on screen in one frame and
// the renderer's program is built once. pixels() reads the renderer's target right after the same
// render(), so an exported file has exactly the pixels of the window's texture.
#include "map_views.h"

#include "errors.h"
#include "map_renderer.h"
#include "render/downsample.h"
#include "state_guard.h"
#include "textures.h"

#include <glad/gl.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

namespace attn::gui {

namespace {

constexpr int kMatrixCellPx = 24;       // natural size of one (query, key) cell
constexpr int64_t kMatrixMaxSide = 4096;  // the longest side of a matrix at its natural size (exports)
constexpr int64_t kMinAloneSide = 256;  // a cross map without a picture: at least this long side,
                                        // whole pixels per cell (as render_cross_map does)
// Rendered textures kept at most (thumbnails are small; a big view of a 4k picture is 32 MiB).
constexpr size_t kMaxCachedBytes = size_t{256} << 20;
constexpr size_t kMaxCachedEntries = 512;
constexpr size_t kMaxValueTextures = 128;  // R32F uploads of map values, re-made on demand

// The frame being built, or -1 without an ImGui context (tests, export): then nothing is drawn
// later from what we hand out, and textures may be deleted at once.
int frame_now() {
    return ImGui::GetCurrentContext() != nullptr ? ImGui::GetFrameCount() : -1;
}

uint32_t float_bits(float f) {
    uint32_t bits = 0;
    std::memcpy(&bits, &f, sizeof bits);
    return bits;
}

// [lo, hi] of the finite values; {0, 0} (a constant map: the middle colour) when there are none.
MapRange finite_range(const float* values, size_t n) {
    float lo = std::numeric_limits<float>::infinity(), hi = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < n; ++i)
        if (std::isfinite(values[i])) {
            lo = std::min(lo, values[i]);
            hi = std::max(hi, values[i]);
        }
    if (lo > hi) return {0.0f, 0.0f};
    return {lo, hi};
}

struct RenderKey {
    int kind = 0;  // 0: attention map, 1: colorbar
    int batch = 0, head = 0, token = 0;
    int colormap = 0;
    bool shared = false;
    uint32_t opacity = 0;  // bits of the float: equal styles, equal keys
    int width = 0, height = 0;
    bool operator<(const RenderKey& o) const {
        return std::tie(kind, batch, head, token, colormap, shared, opacity, width, height) <
               std::tie(o.kind, o.batch, o.head, o.token, o.colormap, o.shared, o.opacity, o.width, o.height);
    }
};

struct CacheEntry {
    gl::Texture texture;
    uint64_t last_use = 0;
    int frame = -1;
};

struct ValueTexture {
    gl::Texture texture;
    uint64_t last_use = 0;
};

struct ArraySlot {
    uint64_t version = 0;
    bool uploaded = false;
    gl::Texture values;
    int rows = 0, cols = 0;
    // What `rendered` was drawn with.
    uint32_t lo = 0, hi = 0;
    int colormap = -1, width = 0, height = 0;
    bool rendered_current = false;
    gl::Texture rendered;
};

}  // namespace

struct MapViews::Impl {
    gl::MapRenderer renderer;
    GLuint copy_framebuffer = 0;

    std::shared_ptr<const Scene> scene;
    std::shared_ptr<const Trace> trace;

    // Geometry of the pass; valid == false when there is nothing to show.
    bool valid = false, cross = false;
    int64_t batches = 0, heads = 1, queries = 0, keys = 0, grid_h = 0, grid_w = 0;
    MapRange shared_range{0.0f, 1.0f};

    std::map<Colormap, gl::Texture> colormaps;  // uploaded once, kept across passes
    gl::Texture ramp;                           // 256 x 1 values 0..1 for colorbars
    std::vector<int> picture_of;                // batch item -> index into pictures (shared pictures once)
    std::vector<gl::Texture> pictures;          // uploaded on first use
    std::map<std::tuple<int, int, int>, ValueTexture> values;
    std::shared_ptr<const MapOverview> overview;
    // Matrices at the cells they are drawn with: (batch, head, rows, cols).
    std::map<std::tuple<int, int, int64_t, int64_t>, ValueTexture> matrices;
    mutable std::map<int, std::vector<std::pair<int, int>>> padding;  // batch item -> padding runs
    std::map<RenderKey, CacheEntry> cache;
    size_t cache_bytes = 0;
    std::map<std::string, ArraySlot> arrays;

    // Textures dropped during a frame live until the next one: ImGui draws this frame's images
    // only after every panel has run.
    std::vector<gl::Texture> retired;
    int retired_frame = -1;
    uint64_t clock = 0;

    Impl() {
        glGenFramebuffers(1, &copy_framebuffer);
        ATTN_CHECK(copy_framebuffer != 0, "MapViews: glGenFramebuffers failed");
    }
    ~Impl() {
        if (copy_framebuffer != 0) glDeleteFramebuffers(1, &copy_framebuffer);
    }

    void collect() {
        const int now = frame_now();
        if (now < 0 || now != retired_frame) retired.clear();
    }
    void retire(gl::Texture texture) {
        if (!texture) return;
        const int now = frame_now();
        if (now < 0) return;  // nobody will draw it: deleted here
        if (now != retired_frame) retired.clear();
        retired_frame = now;
        retired.push_back(std::move(texture));
    }
    void drop_rendered() {
        for (auto& [key, entry] : cache)
            retire(std::move(entry.texture));
        cache.clear();
        cache_bytes = 0;
        for (auto& [name, slot] : arrays)
            slot.rendered_current = false;
    }

    const gl::Texture& colormap(Colormap cmap) {
        auto it = colormaps.find(cmap);
        if (it == colormaps.end()) it = colormaps.emplace(cmap, gl::upload_colormap_texture(cmap)).first;
        return it->second;
    }

    void check_key(const MapKey& key) const {
        if (!valid) throw ConfigError("no attention maps to show: the pass has none");
        if (key.batch < 0 || key.batch >= batches)
            throw ConfigError("batch item " + std::to_string(key.batch) +
                              " does not exist (b = " + std::to_string(batches) + ")");
        if (key.head < -1 || key.head >= heads)
            throw ConfigError("head " + std::to_string(key.head) + " does not exist (heads = " + std::to_string(heads) +
                              "; -1 is the mean)");
        if (cross && (key.token < 0 || key.token >= keys))
            throw ConfigError("token " + std::to_string(key.token) + " does not exist (seq = " + std::to_string(keys) +
                              ")");
    }
    // The key a map is cached under: matrices ignore the token.
    MapKey canonical(const MapKey& key) const {
        MapKey k = key;
        if (!cross) k.token = 0;
        return k;
    }

    // att_weights[batch, head, q, k] in either layout ([b, heads, Lq, Lk] or [b, Lq, Lk]).
    float at(int64_t batch, int64_t head, int64_t q, int64_t k) const {
        return trace->attn().data[static_cast<size_t>(((batch * heads + head) * queries + q) * keys + k)];
    }
    // Mean over heads, summed as the CPU export sums it (each weight / heads, in head order).
    float mean_at(int64_t batch, int64_t q, int64_t k) const {
        float sum = 0.0f;
        for (int64_t h = 0; h < heads; ++h)
            sum += at(batch, h, q, k) / static_cast<float>(heads);
        return sum;
    }
    float weight(const MapKey& key, int64_t q, int64_t k) const {
        return key.head < 0 ? mean_at(key.batch, q, k) : at(key.batch, key.head, q, k);
    }

    // The map's values, row-major: cross [grid_h, grid_w] (query pixel p = row * grid_w + col,
    // the token's column of att_weights), matrices [queries, keys].
    std::vector<float> map_values(const MapKey& key) const {
        check_key(key);
        std::vector<float> out;
        if (cross) {
            out.resize(static_cast<size_t>(queries));
            for (int64_t p = 0; p < queries; ++p)
                out[static_cast<size_t>(p)] = weight(key, p, key.token);
        } else {
            out.resize(static_cast<size_t>(queries * keys));
            for (int64_t q = 0; q < queries; ++q)
                for (int64_t k = 0; k < keys; ++k)
                    out[static_cast<size_t>(q * keys + k)] = weight(key, q, k);
        }
        return out;
    }

    MapRange range_of(const MapKey& key, const MapStyle& style) const {
        check_key(key);
        if (style.shared_normalisation) return shared_range;
        if (!cross) return {0.0f, 1.0f};
        const std::vector<float> v = map_values(key);
        return finite_range(v.data(), v.size());
    }

    bool has_picture(int batch) const {
        return cross && batch >= 0 && batch < static_cast<int>(picture_of.size()) && picture_of[batch] >= 0;
    }
    const gl::Texture& picture(int batch) {
        const int index = picture_of[static_cast<size_t>(batch)];
        gl::Texture& texture = pictures[static_cast<size_t>(index)];
        if (!texture) texture = gl::upload_image_texture(*scene->images[static_cast<size_t>(index)]);
        return texture;
    }

    std::pair<int, int> natural_size(const MapKey& key) const {
        if (!cross) {
            // Cells of 24 px while the image stays within kMatrixMaxSide; smaller cells down to one
            // pixel; past that a pixel is the mean of the cells under it (matrix_texture).
            const int64_t longest = std::max<int64_t>(1, std::max(keys, queries));
            if (longest <= kMatrixMaxSide) {
                const int64_t cell = std::clamp<int64_t>(kMatrixMaxSide / longest, 1, kMatrixCellPx);
                return {static_cast<int>(keys * cell), static_cast<int>(queries * cell)};
            }
            return {static_cast<int>(std::max<int64_t>(1, keys * kMatrixMaxSide / longest)),
                    static_cast<int>(std::max<int64_t>(1, queries * kMatrixMaxSide / longest))};
        }
        if (has_picture(key.batch)) {
            const Image& image = *scene->images[static_cast<size_t>(key.batch)];
            return {image.width, image.height};
        }
        const int64_t longest = std::max(grid_h, grid_w);
        const int64_t cell = std::max<int64_t>(1, (kMinAloneSide + longest - 1) / longest);
        return {static_cast<int>(grid_w * cell), static_cast<int>(grid_h * cell)};
    }

    const gl::Texture& value_texture(const MapKey& key) {
        const auto id = std::make_tuple(key.batch, key.head, key.token);
        auto it = values.find(id);
        if (it == values.end()) {
            if (values.size() >= kMaxValueTextures) {
                // Only used while render() runs: any of them may go.
                auto oldest = std::min_element(values.begin(), values.end(), [](const auto& a, const auto& b) {
                    return a.second.last_use < b.second.last_use;
                });
                values.erase(oldest);
            }
            const std::vector<float> v = map_values(key);
            // Bilinear over a picture (the CPU export interpolates the same way); crisp cells otherwise.
            const gl::MapFilter filter = has_picture(key.batch) ? gl::MapFilter::Linear : gl::MapFilter::Nearest;
            const int64_t rows = cross ? grid_h : queries, cols = cross ? grid_w : keys;
            it = values.emplace(id, ValueTexture{gl::upload_map_texture(v.data(), rows, cols, filter), 0}).first;
        }
        it->second.last_use = ++clock;
        return it->second.texture;
    }

    // A matrix's values for a target of width x height px: the matrix itself while it has no
    // more cells than pixels, else area-averaged to one cell per pixel. A large matrix starts
    // from its preview (made with the pass, off this thread), never from att_weights.
    const gl::Texture& matrix_texture(const MapKey& key, int width, int height) {
        const Downsampled* preview = overview ? overview->preview(key.batch, key.head) : nullptr;
        const int64_t from_rows = preview ? preview->rows : queries, from_cols = preview ? preview->cols : keys;
        const int64_t rows = std::min<int64_t>(from_rows, height), cols = std::min<int64_t>(from_cols, width);
        const auto id = std::make_tuple(key.batch, key.head, rows, cols);
        auto it = matrices.find(id);
        if (it == matrices.end()) {
            if (matrices.size() >= kMaxValueTextures) {
                // Only used while render() runs: any of them may go.
                auto oldest = std::min_element(matrices.begin(), matrices.end(), [](const auto& a, const auto& b) {
                    return a.second.last_use < b.second.last_use;
                });
                matrices.erase(oldest);
            }
            std::vector<float> whole;
            if (!preview) whole = map_values(key);
            const float* from = preview ? preview->values.data() : whole.data();
            gl::Texture texture;
            if (rows == from_rows && cols == from_cols) {
                texture = gl::upload_map_texture(from, rows, cols, gl::MapFilter::Nearest);
            } else {
                static const std::vector<int64_t> kOneCellEach;
                const Downsampled shown =
                    area_mean(from, from_rows, from_cols, rows, cols, preview ? preview->row_cells : kOneCellEach,
                              preview ? preview->col_cells : kOneCellEach);
                texture = gl::upload_map_texture(shown.values.data(), rows, cols, gl::MapFilter::Nearest);
            }
            it = matrices.emplace(id, ValueTexture{std::move(texture), 0}).first;
        }
        it->second.last_use = ++clock;
        return it->second.texture;
    }

    // Draws the map into the renderer's target.
    void render(const MapKey& raw_key, const MapStyle& style, int width, int height) {
        const MapKey key = canonical(raw_key);
        check_key(key);
        if (width <= 0 || height <= 0) std::tie(width, height) = natural_size(key);
        const MapRange range = range_of(key, style);
        gl::MapRenderInputs inputs;
        inputs.map = cross ? &value_texture(key) : &matrix_texture(key, width, height);
        inputs.colormap = &colormap(style.colormap);
        inputs.lo = range.lo;
        inputs.hi = range.hi;
        if (has_picture(key.batch)) {
            inputs.background = &picture(key.batch);
            inputs.opacity = std::clamp(std::isfinite(style.opacity) ? style.opacity : 1.0f, 0.0f, 1.0f);
        }
        renderer.render(inputs, width, height);
    }

    // A copy of the renderer's target in a texture of its own.
    gl::Texture copy_target() {
        const gl::Texture& source = renderer.texture();
        const gl::RenderStateGuard guard;  // read framebuffer, active unit and its texture
        gl::Texture out = gl::allocate_render_texture(source.width(), source.height());
        glBindFramebuffer(GL_READ_FRAMEBUFFER, copy_framebuffer);
        glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, source.id(), 0);
        glReadBuffer(GL_COLOR_ATTACHMENT0);
        glActiveTexture(GL_TEXTURE0);
        glBindTexture(GL_TEXTURE_2D, out.id());
        glCopyTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, 0, 0, source.width(), source.height());
        glFramebufferTexture2D(GL_READ_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, 0, 0);
        return out;
    }

    // Least recently used first; never a texture handed out in this frame (ImGui has not drawn it).
    void evict(const RenderKey& keep) {
        const int now = frame_now();
        while (cache_bytes > kMaxCachedBytes || cache.size() > kMaxCachedEntries) {
            auto victim = cache.end();
            for (auto it = cache.begin(); it != cache.end(); ++it) {
                if ((now >= 0 && it->second.frame == now) || !(it->first < keep || keep < it->first)) continue;
                if (victim == cache.end() || it->second.last_use < victim->second.last_use) victim = it;
            }
            if (victim == cache.end()) return;  // all in use this frame: over budget until the next
            cache_bytes -= static_cast<size_t>(victim->second.texture.width()) *
                           static_cast<size_t>(victim->second.texture.height()) * 4;
            retire(std::move(victim->second.texture));
            cache.erase(victim);
        }
    }

    const gl::Texture& remember(const RenderKey& key, gl::Texture texture) {
        cache_bytes += static_cast<size_t>(texture.width()) * static_cast<size_t>(texture.height()) * 4;
        CacheEntry& entry = cache[key];
        entry.texture = std::move(texture);
        entry.last_use = ++clock;
        entry.frame = frame_now();
        evict(key);
        return cache.at(key).texture;
    }

    const CacheEntry* lookup(const RenderKey& key) {
        auto it = cache.find(key);
        if (it == cache.end()) return nullptr;
        it->second.last_use = ++clock;
        it->second.frame = frame_now();
        return &it->second;
    }
};

MapViews::MapViews() : impl_(std::make_unique<Impl>()) {}
MapViews::~MapViews() = default;

void MapViews::set_pass(std::shared_ptr<const Scene> scene, std::shared_ptr<const Trace> trace,
                        std::shared_ptr<const MapOverview> overview) {
    Impl& m = *impl_;
    if (scene == m.scene && trace == m.trace) return;
    m.collect();
    m.drop_rendered();
    m.values.clear();  // only ever bound inside render(): safe to delete now
    m.matrices.clear();
    m.padding.clear();
    m.overview.reset();
    for (gl::Texture& picture : m.pictures)
        m.retire(std::move(picture));
    m.pictures.clear();
    m.picture_of.clear();
    m.scene = std::move(scene);
    m.trace = std::move(trace);
    m.valid = false;
    m.batches = m.queries = m.keys = m.grid_h = m.grid_w = 0;
    m.heads = 1;
    m.shared_range = {0.0f, 1.0f};
    if (!m.scene || !m.trace) return;

    // Geometry from att_weights in PyTorch's layout (forward.h); anything inconsistent shows nothing.
    const Tensor& attn = m.trace->attn();
    const bool multi = has_heads(m.scene->module.kind);
    if (attn.rank() != (multi ? 4 : 3) || attn.numel() != shape_numel(attn.shape) || attn.numel() == 0) return;
    m.cross = attn::is_cross(m.scene->module.kind);
    m.batches = attn.dim(0);
    m.heads = multi ? attn.dim(1) : 1;
    m.queries = attn.dim(-2);
    m.keys = attn.dim(-1);
    if (m.cross) {
        const Tensor& x = m.scene->inputs.x;  // [b, c, h, w]
        if (x.rank() != 4 || x.dim(2) * x.dim(3) != m.queries) return;
        m.grid_h = x.dim(2);
        m.grid_w = x.dim(3);
        // One texture per distinct picture: the batch items that share a picture share its pointer.
        const auto& images = m.scene->images;
        for (size_t i = 0; i < static_cast<size_t>(m.batches); ++i) {
            int index = -1;
            const Image* image = i < images.size() ? images[i].get() : nullptr;
            if (image && image->width > 0 && image->height > 0 &&
                image->rgb.numel() == int64_t{3} * image->width * image->height) {
                index = static_cast<int>(i);
                for (size_t j = 0; j < i; ++j)
                    if (m.picture_of[j] >= 0 && images[j].get() == image) {
                        index = m.picture_of[j];
                        break;
                    }
            }
            m.picture_of.push_back(index);
        }
        m.pictures.resize(std::min(images.size(), static_cast<size_t>(m.batches)));
    }
    m.valid = true;

    // The shared range and the previews of large matrices walk every weight: the worker makes
    // them with the pass; tests and callers without one get them made here.
    m.overview =
        overview ? std::move(overview) : std::make_shared<const MapOverview>(make_map_overview(*m.scene, *m.trace));
    m.shared_range = {m.overview->shared_lo, m.overview->shared_hi};
}

const gl::Texture& MapViews::texture(const MapKey& raw_key, const MapStyle& style, int width, int height) {
    Impl& m = *impl_;
    m.collect();
    const MapKey key = m.canonical(raw_key);
    m.check_key(key);
    if (width <= 0 || height <= 0) std::tie(width, height) = m.natural_size(key);
    RenderKey rk;
    rk.batch = key.batch;
    rk.head = key.head;
    rk.token = key.token;
    rk.colormap = static_cast<int>(style.colormap);
    rk.shared = style.shared_normalisation;
    rk.opacity = m.has_picture(key.batch) ? float_bits(style.opacity) : 0;
    rk.width = width;
    rk.height = height;
    if (const CacheEntry* hit = m.lookup(rk)) return hit->texture;
    m.render(key, style, width, height);
    return m.remember(rk, m.copy_target());
}

RgbImage MapViews::pixels(const MapKey& key, const MapStyle& style, int width, int height) {
    impl_->collect();
    impl_->render(key, style, width, height);
    return impl_->renderer.read_rgb();
}

MapRange MapViews::range(const MapKey& key, const MapStyle& style) const {
    return impl_->range_of(impl_->canonical(key), style);
}

float MapViews::value(const MapKey& raw_key, int row, int col) const {
    const Impl& m = *impl_;
    const MapKey key = m.canonical(raw_key);
    m.check_key(key);
    if (row < 0 || row >= rows() || col < 0 || col >= cols())
        throw ConfigError("cell (" + std::to_string(row) + ", " + std::to_string(col) + ") is outside the map [" +
                          std::to_string(rows()) + ", " + std::to_string(cols()) + "]");
    if (m.cross) return m.weight(key, int64_t{row} * m.grid_w + col, key.token);
    return m.weight(key, row, col);
}

int MapViews::rows() const {
    return static_cast<int>(impl_->cross ? impl_->grid_h : impl_->queries);
}
int MapViews::cols() const {
    return static_cast<int>(impl_->cross ? impl_->grid_w : impl_->keys);
}
int MapViews::heads() const {
    return static_cast<int>(impl_->heads);
}
int MapViews::batches() const {
    return static_cast<int>(impl_->batches);
}
int MapViews::tokens() const {
    return static_cast<int>(impl_->keys);
}
bool MapViews::is_cross() const {
    return impl_->cross;
}
const Trace* MapViews::trace() const {
    return impl_->trace.get();
}
const Scene* MapViews::scene() const {
    return impl_->scene.get();
}

bool MapViews::is_pad(int batch, int token) const {
    const Impl& m = *impl_;
    if (!m.scene || !m.scene->inputs.pad_mask) return false;
    const Tensor& mask = *m.scene->inputs.pad_mask;  // [b, seq]
    if (mask.rank() != 2 || batch < 0 || token < 0 || batch >= mask.dim(0) || token >= mask.dim(1)) return false;
    return mask.data[static_cast<size_t>(int64_t{batch} * mask.dim(1) + token)] != 0.0f;
}

const std::vector<std::pair<int, int>>& MapViews::padding_runs(int batch) const {
    const Impl& m = *impl_;
    auto it = m.padding.find(batch);
    if (it != m.padding.end()) return it->second;
    std::vector<std::pair<int, int>> runs;
    for (int k = 0; k < tokens(); ++k) {
        if (!is_pad(batch, k)) continue;
        if (!runs.empty() && runs.back().second == k)
            runs.back().second = k + 1;
        else
            runs.emplace_back(k, k + 1);
    }
    return m.padding.emplace(batch, std::move(runs)).first->second;
}

bool MapViews::all_keys_padding(int batch) const {
    const std::vector<std::pair<int, int>>& runs = padding_runs(batch);
    return runs.size() == 1 && runs[0].first == 0 && runs[0].second == tokens();
}

const gl::Texture& MapViews::colorbar(Colormap cmap, int width, int height) {
    Impl& m = *impl_;
    m.collect();
    if (width < 1 || height < 1)
        throw ConfigError("colorbar: size " + std::to_string(width) + " x " + std::to_string(height) +
                          " must be at least 1 x 1 px");
    RenderKey rk;
    rk.kind = 1;
    rk.colormap = static_cast<int>(cmap);
    rk.width = width;
    rk.height = height;
    if (const CacheEntry* hit = m.lookup(rk)) return hit->texture;
    if (!m.ramp) {
        std::vector<float> ramp(256);
        for (int i = 0; i < 256; ++i)
            ramp[static_cast<size_t>(i)] = static_cast<float>(i) / 255.0f;
        m.ramp = gl::upload_map_texture(ramp.data(), 1, 256, gl::MapFilter::Linear);
    }
    gl::MapRenderInputs inputs;
    inputs.map = &m.ramp;
    inputs.colormap = &m.colormap(cmap);
    inputs.lo = 0.0f;
    inputs.hi = 1.0f;
    m.renderer.render(inputs, width, height);
    return m.remember(rk, m.copy_target());
}

const gl::Texture& MapViews::array_texture(const std::string& name, uint64_t version, const float* values, int rows,
                                           int cols, MapRange range, Colormap cmap, int width, int height) {
    Impl& m = *impl_;
    m.collect();
    if (values == nullptr || rows < 1 || cols < 1)
        throw ConfigError("array view '" + name + "': no values to draw (" + std::to_string(rows) + " x " +
                          std::to_string(cols) + ")");
    if (width < 1 || height < 1)
        throw ConfigError("array view '" + name + "': size " + std::to_string(width) + " x " + std::to_string(height) +
                          " must be at least 1 x 1 px");
    ArraySlot& slot = m.arrays[name];
    if (!slot.uploaded || slot.version != version || slot.rows != rows || slot.cols != cols) {
        // Only bound while rendering: the old upload may go at once.
        slot.values = gl::upload_map_texture(values, rows, cols, gl::MapFilter::Nearest);
        slot.version = version;
        slot.rows = rows;
        slot.cols = cols;
        slot.uploaded = true;
        slot.rendered_current = false;
    }
    if (slot.rendered_current && slot.lo == float_bits(range.lo) && slot.hi == float_bits(range.hi) &&
        slot.colormap == static_cast<int>(cmap) && slot.width == width && slot.height == height)
        return slot.rendered;
    gl::MapRenderInputs inputs;
    inputs.map = &slot.values;
    inputs.colormap = &m.colormap(cmap);
    inputs.lo = range.lo;
    inputs.hi = range.hi;
    m.renderer.render(inputs, width, height);
    m.retire(std::move(slot.rendered));
    slot.rendered = m.copy_target();
    slot.lo = float_bits(range.lo);
    slot.hi = float_bits(range.hi);
    slot.colormap = static_cast<int>(cmap);
    slot.width = width;
    slot.height = height;
    slot.rendered_current = true;
    return slot.rendered;
}

bool MapViews::reload_shaders() {
    Impl& m = *impl_;
    m.collect();
    if (!m.renderer.reload_from_source()) return false;
    m.drop_rendered();
    return true;
}

}  // namespace attn::gui
