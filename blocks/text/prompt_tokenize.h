// blocks/text/prompt_tokenize.h — ComfyUI's SD1 prompt tokenization (SDTokenizer.tokenize_with_weights):
// weighted segments, each tokenized on its own, packed into 77-token chunks
//   [BOS, tokens..., EOS, pad...]
// A token group (one segment's tokens) that does not fit in the current chunk moves to a new one
// whole, unless it has >= 8 tokens, in which case it is split across chunks. SD1 pads with EOS.
//
//   auto tok = ClipTokenizer::load(dir);
//   PromptTokens t = tokenize_prompt(tok, "a (red:1.3) car");
//   t.chunks[0].ids[1] == 320, t.chunks[0].weights[2] == 1.3
//
// Textual-inversion embeddings ("embedding:name") are not loaded: with
// EmbeddingMode::Drop (ComfyUI with an embeddings folder that lacks the file) the reference is
// dropped and reported in `dropped_embeddings`; with EmbeddingMode::Text (no embeddings folder) it
// is tokenized as ordinary text.
#pragma once

#include "blocks/text/clip_tokenizer.h"

#include <string>
#include <string_view>
#include <vector>

namespace weft::models {

struct TokenChunk {
    std::vector<int> ids;         // 77 ids
    std::vector<double> weights;  // 77 weights (1.0 for BOS/EOS/padding)
    std::vector<int> word_ids;    // 77: 0 for BOS/EOS/padding, else 1 + token-group index
};

struct PromptTokens {
    std::vector<TokenChunk> chunks;               // at least one
    std::vector<std::string> dropped_embeddings;  // names of embedding references left out
    /// Whether any token has a weight other than 1 (the encoder then also encodes an empty prompt).
    bool has_weights() const;
};

enum class EmbeddingMode : uint8_t { Drop, Text };

struct PromptTokenizeOptions {
    int max_length = 77;
    int max_word_length = 8;
    int pad_token = ClipTokenizer::kEndOfText;  // SD1: EOS; SD2 / SDXL-G use 0
    EmbeddingMode embeddings = EmbeddingMode::Drop;
};

PromptTokens tokenize_prompt(const ClipTokenizer& tok, std::string_view prompt, const PromptTokenizeOptions& opt = {});

}  // namespace weft::models
