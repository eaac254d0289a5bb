#include "families/sd1/text_encode.h"

#include "blocks/text/prompt_tokenize.h"
#include "tensor/ops/ops.h"

#include <weft/error.h>

namespace weft::models {

namespace {
std::vector<int64_t> ids_of(const TokenChunk& chunk) { return std::vector<int64_t>(chunk.ids.begin(), chunk.ids.end()); }
}  // namespace

EncodedPrompt encode_prompt(const TextEncoder& encoder, std::string_view text) {
    if (!encoder.tokenizer) throw Error(ErrorCode::ModelLoadFailed, "this CLIP has no tokenizer");
    PromptTokens tokens = tokenize_prompt(*encoder.tokenizer, text);
    const nets::ClipText& net = *encoder.net;
    const int64_t d = net.width();
    Tensor empty;
    if (tokens.has_weights()) empty = net.forward({ids_of(tokenize_prompt(*encoder.tokenizer, "").chunks.at(0))}, encoder.layer).hidden;

    std::vector<Tensor> parts;
    EncodedPrompt out;
    for (size_t c = 0; c < tokens.chunks.size(); ++c) {
        const TokenChunk& chunk = tokens.chunks[c];
        nets::ClipText::Output o = net.forward({ids_of(chunk)}, encoder.layer);
        if (c == 0) out.pooled = o.pooled;
        Tensor z = o.hidden.contiguous();
        if (empty.defined()) {
            float* zp = z.data<float>();
            const float* ep = empty.data<float>();
            for (size_t t = 0; t < chunk.weights.size(); ++t) {
                const float w = static_cast<float>(chunk.weights[t]);
                for (int64_t k = 0; k < d; ++k) {
                    float& v = zp[t * d + k];
                    v = (v - ep[t * d + k]) * w + ep[t * d + k];
                }
            }
        }
        parts.push_back(z);
    }
    out.cond = parts.size() == 1 ? parts[0] : ops::concat(parts, 1);
    out.dropped_embeddings = std::move(tokens.dropped_embeddings);
    return out;
}

}  // namespace weft::models
