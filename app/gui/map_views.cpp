// MapViews: every attention map of a pass as a texture, painted by gl::GlPainter from the pass's
// map model (see map_views.h). The painter draws into its renderer's target; a map that is shown
// is copied from there into a texture of its own (glCopyTexSubImage2D), so many maps can be on
// screen in one frame and the renderer's program is built once.
#include "map_views.h"

#include "errors.h"
#include "gl_painter.h"
#include "maps/map_picture.h"
#include "state_guard.h"
#include "textures.h"

#include <glad/gl.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

namespace attn::gui {

namespace {

// Rendered textures kept at most (thumbnails are small; a big view of a 4k picture is 32 MiB).
constexpr size_t kMaxCachedBytes = size_t{256} << 20;
constexpr size_t kMaxCachedEntries = 512;

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

// What a cached texture shows: a map, a colorbar or a named array, in a style, at a size.
struct RenderKey {
    enum Kind { Map, Colorbar, Array } kind = Map;
    MapKey map;
    std::string slot;      // arrays
    uint64_t version = 0;  // arrays
    int colormap = 0;
    bool shared = false;
    uint32_t opacity = 0, lo = 0, hi = 0;  // bits of the floats: equal styles, equal keys
    int width = 0, height = 0;
    bool operator<(const RenderKey& o) const {
        return std::tie(kind, map, slot, version, colormap, shared, opacity, lo, hi, width, height) <
               std::tie(o.kind, o.map, o.slot, o.version, o.colormap, o.shared, o.opacity, o.lo, o.hi, o.width,
                        o.height);
    }
};

// The one least-recently-used cache of rendered textures. A texture handed out in the frame being
// built is never evicted (ImGui has not drawn it yet); dropped ones go to `retire`.
class TextureCache {
public:
    template <class Retire>
    const gl::Texture& remember(const RenderKey& key, gl::Texture texture, Retire&& retire) {
        bytes_ += bytes_of(texture);
        Entry& entry = entries_[key];
        if (entry.texture) {
            bytes_ -= bytes_of(entry.texture);
            retire(std::move(entry.texture));
        }
        entry.texture = std::move(texture);
        touch(entry);
        evict(key, retire);
        return entries_.at(key).texture;
    }
    const gl::Texture* find(const RenderKey& key) {
        auto it = entries_.find(key);
        if (it == entries_.end()) return nullptr;
        touch(it->second);
        return &it->second.texture;
    }
    template <class Retire>
    void clear(Retire&& retire) {
        for (auto& [key, entry] : entries_)
            retire(std::move(entry.texture));
        entries_.clear();
        bytes_ = 0;
    }

private:
    struct Entry {
        gl::Texture texture;
        uint64_t last_use = 0;
        int frame = -1;
    };
    static size_t bytes_of(const gl::Texture& t) {
        return static_cast<size_t>(t.width()) * static_cast<size_t>(t.height()) * 4;
    }
    void touch(Entry& e) {
        e.last_use = ++clock_;
        e.frame = frame_now();
    }
    template <class Retire>
    void evict(const RenderKey& keep, Retire&& retire) {
        const int now = frame_now();
        while (bytes_ > kMaxCachedBytes || entries_.size() > kMaxCachedEntries) {
            auto victim = entries_.end();
            for (auto it = entries_.begin(); it != entries_.end(); ++it) {
                if ((now >= 0 && it->second.frame == now) || !(it->first < keep || keep < it->first)) continue;
                if (victim == entries_.end() || it->second.last_use < victim->second.last_use) victim = it;
            }
            if (victim == entries_.end()) return;  // all in use this frame: over budget until the next
            bytes_ -= bytes_of(victim->second.texture);
            retire(std::move(victim->second.texture));
            entries_.erase(victim);
        }
    }

    std::map<RenderKey, Entry> entries_;
    size_t bytes_ = 0;
    uint64_t clock_ = 0;
};

}  // namespace

struct MapViews::Impl {
    gl::GlPainter painter;
    GLuint copy_framebuffer = 0;

    std::shared_ptr<const Scene> scene;
    std::shared_ptr<const Trace> trace;
    std::shared_ptr<const MapModel> model;
    std::vector<std::vector<std::pair<int, int>>> padding;  // per batch item, as the panels want it

    TextureCache cache;
    gl::Texture ramp;  // 256 x 1 values 0..1 for colorbars

    // Textures dropped during a frame live until the next one: ImGui draws this frame's images
    // only after every panel has run.
    std::vector<gl::Texture> retired;
    int retired_frame = -1;

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
    auto retirer() {
        return [this](gl::Texture t) { retire(std::move(t)); };
    }

    const MapModel& maps() const {
        if (!model || model->empty()) throw ConfigError("no attention maps to show: the pass has none");
        return *model;
    }

    // A copy of the renderer's target in a texture of its own.
    gl::Texture copy_target() {
        const gl::Texture& source = painter.renderer().texture();
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

    // A map, stretched over width x height (0 x 0: its natural size), into the renderer's target.
    void render_map(const MapKey& key, const MapStyle& style, int width, int height) {
        const MapField field = map_field(maps(), key, style, width, height);
        painter.render(field.paint);
    }
};

MapViews::MapViews() : impl_(std::make_unique<Impl>()) {}
MapViews::~MapViews() = default;

void MapViews::set_pass(std::shared_ptr<const Scene> scene, std::shared_ptr<const Trace> trace,
                        std::shared_ptr<const MapModel> model) {
    Impl& m = *impl_;
    if (scene == m.scene && trace == m.trace && (!model || model == m.model)) return;
    if (model && model == m.model) {
        // The same maps: a real model's pass shows another layer's steps (AppContext::trace).
        m.scene = std::move(scene);
        m.trace = std::move(trace);
        return;
    }
    m.collect();
    m.cache.clear(m.retirer());
    m.painter.forget_pictures();
    m.padding.clear();
    m.scene = std::move(scene);
    m.trace = std::move(trace);
    m.model.reset();
    // The shared range and the previews of large matrices walk every weight: the worker makes the
    // model with the pass; tests and callers without one get it made here (the seed's modules; a
    // real model's pass always comes with its model).
    if (model)
        m.model = std::move(model);
    else if (m.scene && m.trace)
        m.model = std::make_shared<const MapModel>(attention_set_from_pass(*m.scene, *m.trace));
    else
        return;
    for (int64_t b = 0; b < m.model->batches(); ++b) {
        std::vector<std::pair<int, int>> runs;
        for (const auto& [first, last] : m.model->padding_runs(b))
            runs.emplace_back(static_cast<int>(first), static_cast<int>(last));
        m.padding.push_back(std::move(runs));
    }
}

const MapModel* MapViews::model() const {
    return impl_->model.get();
}

std::shared_ptr<const MapModel> MapViews::shared_model() const {
    return impl_->model;
}

const gl::Texture& MapViews::texture(const MapKey& raw_key, const MapStyle& style, int width, int height) {
    Impl& m = *impl_;
    m.collect();
    const MapKey key = m.maps().canonical(raw_key);
    if (width <= 0 || height <= 0) std::tie(width, height) = natural_size(m.maps(), key);
    RenderKey rk;
    rk.map = key;
    rk.colormap = static_cast<int>(style.colormap);
    rk.shared = style.shared_range;
    rk.opacity = m.maps().picture(key.batch) && m.maps().spatial(key) ? float_bits(style.opacity) : 0;
    rk.width = width;
    rk.height = height;
    if (const gl::Texture* hit = m.cache.find(rk)) return *hit;
    m.render_map(key, style, width, height);
    return m.cache.remember(rk, m.copy_target(), m.retirer());
}

RgbImage MapViews::pixels(const MapKey& key, const MapStyle& style, int width, int height) {
    impl_->collect();
    if (width <= 0 || height <= 0) return draw_map(impl_->maps(), key, style, impl_->painter).image;
    impl_->render_map(key, style, width, height);
    return impl_->painter.renderer().read_rgb();
}

MapPainter& MapViews::painter() {
    return impl_->painter;
}

MapRange MapViews::range(const MapKey& key, const MapStyle& style) const {
    return impl_->maps().range(key, style);
}

float MapViews::value(const MapKey& key, int row, int col) const {
    return impl_->maps().value(key, row, col);
}

int MapViews::rows() const {
    const MapModel* m = model();
    if (!m || m->empty()) return 0;
    return static_cast<int>(m->set().query_kind == QueryKind::PixelGrid ? m->set().grid_rows : m->queries());
}
int MapViews::cols() const {
    const MapModel* m = model();
    if (!m || m->empty()) return 0;
    return static_cast<int>(m->set().query_kind == QueryKind::PixelGrid ? m->set().grid_cols : m->keys());
}
int MapViews::heads() const {
    return model() && !model()->empty() ? static_cast<int>(model()->heads()) : 1;
}
int MapViews::batches() const {
    return model() ? static_cast<int>(model()->batches()) : 0;
}
int MapViews::tokens() const {
    return model() ? static_cast<int>(model()->keys()) : 0;
}
bool MapViews::is_cross() const {
    return model() && model()->set().query_kind == QueryKind::PixelGrid;
}
const Trace* MapViews::trace() const {
    return impl_->trace.get();
}
const Scene* MapViews::scene() const {
    return impl_->scene.get();
}

bool MapViews::is_pad(int batch, int token) const {
    const MapModel* m = model();
    if (!m || batch < 0 || token < 0 || batch >= m->batches() || token >= m->keys()) return false;
    return m->is_pad(batch, token);
}

const std::vector<std::pair<int, int>>& MapViews::padding_runs(int batch) const {
    static const std::vector<std::pair<int, int>> kNone;
    const auto& all = impl_->padding;
    return batch >= 0 && batch < static_cast<int>(all.size()) ? all[static_cast<size_t>(batch)] : kNone;
}

bool MapViews::all_keys_padding(int batch) const {
    const MapModel* m = model();
    return m && m->all_keys_padding(batch);
}

const gl::Texture& MapViews::colorbar(Colormap cmap, int width, int height) {
    Impl& m = *impl_;
    m.collect();
    if (width < 1 || height < 1)
        throw ConfigError("colorbar: size " + std::to_string(width) + " x " + std::to_string(height) +
                          " must be at least 1 x 1 px");
    RenderKey rk;
    rk.kind = RenderKey::Colorbar;
    rk.colormap = static_cast<int>(cmap);
    rk.width = width;
    rk.height = height;
    if (const gl::Texture* hit = m.cache.find(rk)) return *hit;
    std::vector<float> ramp(256);
    for (int i = 0; i < 256; ++i)
        ramp[static_cast<size_t>(i)] = static_cast<float>(i) / 255.0f;
    FieldPaint f;
    f.values = ramp.data();
    f.rows = 1;
    f.cols = 256;
    f.bilinear = true;
    f.colormap = cmap;
    f.width = width;
    f.height = height;
    m.painter.render(f);
    return m.cache.remember(rk, m.copy_target(), m.retirer());
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
    RenderKey rk;
    rk.kind = RenderKey::Array;
    rk.slot = name;
    rk.version = version;
    rk.colormap = static_cast<int>(cmap);
    rk.lo = float_bits(range.lo);
    rk.hi = float_bits(range.hi);
    rk.width = width;
    rk.height = height;
    if (const gl::Texture* hit = m.cache.find(rk)) return *hit;
    FieldPaint f;
    f.values = values;
    f.rows = rows;
    f.cols = cols;
    f.lo = range.lo;
    f.hi = range.hi;
    f.colormap = cmap;
    f.width = width;
    f.height = height;
    m.painter.render(f);
    return m.cache.remember(rk, m.copy_target(), m.retirer());
}

bool MapViews::reload_shaders() {
    Impl& m = *impl_;
    m.collect();
    if (!m.painter.renderer().reload_from_source()) return false;
    m.cache.clear(m.retirer());
    return true;
}

}  // namespace attn::gui
