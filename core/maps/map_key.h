// Which attention map: the one key every front end uses to name a map, on screen, in a file name
// and in maps.json. The seed's modules have one layer; real models have many, so the layer is
// part of the key from the start.
#pragma once

#include <string>
#include <tuple>

namespace attn {

// What a map's values are.
enum class MapQuantity {
    Weights,  // the softmax weights, att_weights / output_attentions
    Norms,    // norm-based attention ||α_ij f_h(x_j)|| (Kobayashi et al. 2020)
    Rollout,  // attention rollout up to the key's layer (Abnar & Zuidema 2020); no heads
};

// "weights", "norms", "rollout"
std::string quantity_name(MapQuantity quantity);

// MapKey::head below 0 names a fusion of every head instead of one head.
constexpr int kMeanHead = -1;  // the mean over heads (PyTorch's average_attn_weights=True)
constexpr int kMaxHead = -2;
constexpr int kMinHead = -3;

struct MapKey {
    int batch = 0;
    int head = 0;     // >= 0: that head; kMeanHead, kMaxHead, kMinHead: fused over heads
    // The token the map is about, or -1 for the whole [queries, keys] matrix:
    //   the seed's cross modules: the key token whose column over every pixel is drawn;
    //   patch models (ViT): the query whose row is drawn over the picture (0 = [CLS]).
    int token = -1;
    int layer = 0;    // 0 for the seed's one-layer modules
    MapQuantity quantity = MapQuantity::Weights;

    bool operator<(const MapKey& o) const {
        return std::tie(batch, head, token, layer, quantity) < std::tie(o.batch, o.head, o.token, o.layer, o.quantity);
    }
    bool operator==(const MapKey& o) const {
        return batch == o.batch && head == o.head && token == o.token && layer == o.layer && quantity == o.quantity;
    }
    bool operator!=(const MapKey& o) const { return !(*this == o); }
};

// "h3", "mean", "max", "min": the head part of a file name.
std::string head_file_part(int head);
// "head 3", "the mean over the 8 heads", "the single head": the head in a sentence.
std::string head_phrase(int head, int heads);

// A token made safe for a file name: ASCII letters and digits (lower-cased), '-' and '_' are
// kept, every other code point becomes u{hex} (lower-case hex, no padding), and the result is cut
// to at most 24 characters at a piece boundary. "jerry" -> "jerry", "!" -> "u21",
// "杰" -> "u6770". Bytes that are not valid UTF-8 become x{hex} each. Different tokens can give
// the same name ("u21" and "!"), so file names carry the token's index too.
std::string file_safe_token(const std::string& token);

}  // namespace attn
