// families/sd1/text_encode.h — CLIPTextEncode's math: weighted prompt -> conditioning.
//
// Each 77-token chunk is encoded on its own and the chunks are joined along the tokens. When any
// token weight differs from 1, the empty prompt is encoded too and every token becomes
// z_empty + (z - z_empty) * weight (ComfyUI's rule). The pooled output is the first chunk's.
#pragma once

#include "families/sd1/checkpoint.h"

#include <string>
#include <string_view>
#include <vector>

namespace weft::models {

struct EncodedPrompt {
    Tensor cond;    // [1, 77 * chunks, D]
    Tensor pooled;  // [1, D]
    std::vector<std::string> dropped_embeddings;
};

EncodedPrompt encode_prompt(const TextEncoder& encoder, std::string_view text);

}  // namespace weft::models
