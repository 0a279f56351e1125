// Reading a BERT folder: config.json, the checkpoint's tensors under transformers' names
// (modeling_bert.py: BertEmbeddings, BertLayer), vocab.txt and tokenizer_config.json.
#include "errors.h"
#include "models/bert/bert_model.h"
#include "models/hf/hf_folder.h"

#include <sys/stat.h>

namespace attn {

namespace {

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::shared_ptr<const EncoderLayerWeights> take_bert_layer(HfStateDict& sd, const HfConfig& c, int64_t i) {
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    const int64_t E = c.hidden_size, I = c.intermediate_size;
    auto w = std::make_shared<EncoderLayerWeights>();
    w->qkv = take_qkv(sd, p + "attention.self.", E);
    w->attn_output = take_dense(sd, p + "attention.output.dense", E, E);
    w->norm1 = take_layer_norm(sd, p + "attention.output.LayerNorm", E, c.layer_norm_eps);
    w->intermediate = take_dense(sd, p + "intermediate.dense", I, E);
    w->output = take_dense(sd, p + "output.dense", E, I);
    w->norm2 = take_layer_norm(sd, p + "output.LayerNorm", E, c.layer_norm_eps);
    return w;
}

}  // namespace

std::unique_ptr<Model> load_bert_folder(const std::string& dir, std::vector<std::string>* warnings,
                                        const ForwardControl* control) {
    std::vector<std::string> notes;
    HfConfig c = read_hf_config(dir);
    if (c.model_type != "bert")
        throw ConfigError(dir + " holds a " + c.model_type + " model (config.json), not a BERT one");
    const Activation act = parse_activation(c.hidden_act, c.path);
    for (const std::string& d : c.defaulted)
        notes.push_back(c.path + " has no " + d);

    // The tokenizer before the weights: a folder without its vocabulary fails at once, not after
    // reading 440 MB.
    const std::string vocab_path = hf_file(dir, "vocab.txt");
    if (!exists(vocab_path)) throw FileError(dir + " has no vocab.txt: a BERT folder needs its WordPiece vocabulary");
    const std::string tok_config = hf_file(dir, "tokenizer_config.json");
    WordPieceSettings settings;
    if (exists(tok_config))
        settings = read_wordpiece_settings(tok_config);
    else
        notes.push_back(dir +
                        " has no tokenizer_config.json: tokenizing as BertTokenizer's defaults do "
                        "(do_lower_case true)");
    WordPieceTokenizer tokenizer(WordPieceTokenizer::read_vocab(vocab_path), settings, vocab_path);

    HfStateDict sd = HfStateDict::read(dir, "bert.", {"embeddings.", "encoder."}, control);
    if (sd.layers_found() != c.num_hidden_layers)
        throw ConfigError(c.path + " says num_hidden_layers " + std::to_string(c.num_hidden_layers) + " but " +
                          sd.file() + " holds " + std::to_string(sd.layers_found()) + " layers (encoder.layer.N)");
    const int64_t E = c.hidden_size;
    BertEmbeddingWeights emb;
    emb.word = sd.take("embeddings.word_embeddings.weight", {c.vocab_size, E});
    emb.position = sd.take("embeddings.position_embeddings.weight", {c.max_position_embeddings, E});
    emb.token_type = sd.take("embeddings.token_type_embeddings.weight", {c.type_vocab_size, E});
    emb.norm = take_layer_norm(sd, "embeddings.LayerNorm", E, c.layer_norm_eps);

    HfEncoder encoder;
    encoder.spec = EncoderSpec{E, c.num_attention_heads, c.intermediate_size, act, NormPlacement::Post};
    encoder.eps_text = eps_text(c.layer_norm_eps);
    for (int64_t i = 0; i < c.num_hidden_layers; ++i)
        encoder.layers.push_back(take_bert_layer(sd, c, i));
    const std::string unused = sd.unused_warning();
    if (!unused.empty()) notes.push_back(unused);

    ModelInfo info;
    info.family = ModelFamily::Bert;
    info.name = hf_display_name(dir);
    info.path = dir;
    info.layers = c.num_hidden_layers;
    info.heads = c.num_attention_heads;
    info.hidden = E;
    info.intermediate = c.intermediate_size;
    // transformers' truncation=True cuts at the tokenizer's model_max_length; the position
    // embeddings are the hard limit.
    info.max_positions = c.max_position_embeddings;
    if (settings.model_max_length > 0 && settings.model_max_length < info.max_positions)
        info.max_positions = settings.model_max_length;
    info.takes_text = true;
    if (warnings)
        for (std::string& n : notes)
            warnings->push_back(std::move(n));
    return std::make_unique<BertModel>(std::move(info), std::move(c), std::move(emb), std::move(encoder),
                                       std::move(tokenizer));
}

}  // namespace attn
