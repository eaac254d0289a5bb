#include "families/sd1/lora_keys.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace weft::lora {

namespace {

std::string underscored(std::string s) {
    std::replace(s.begin(), s.end(), '.', '_');
    return s;
}

/// Splits "input_blocks.3.1.proj_in" into the block number (3), the layer index in the block (1)
/// and the rest ("proj_in"); false when `key` does not start with `block` + ".N.K.".
bool parse_block_key(const std::string& key, const std::string& block, int64_t& n, int64_t& k, std::string& rest) {
    if (!key.starts_with(block + ".")) return false;
    const char* p = key.data() + block.size() + 1;
    const char* end = key.data() + key.size();
    auto r1 = std::from_chars(p, end, n);
    if (r1.ec != std::errc() || r1.ptr == end || *r1.ptr != '.') return false;
    auto r2 = std::from_chars(r1.ptr + 1, end, k);
    if (r2.ec != std::errc()) return false;
    rest = r2.ptr == end ? std::string() : std::string(r2.ptr + (*r2.ptr == '.' ? 1 : 0), end);
    return true;
}

/// The diffusers name of a ResBlock sub-layer ("in_layers.2" -> "conv1").
std::optional<std::string> resnet_part(const std::string& rest) {
    static const std::array<std::pair<const char*, const char*>, 6> kParts = {{{"in_layers.0", "norm1"},
                                                                                {"in_layers.2", "conv1"},
                                                                                {"emb_layers.1", "time_emb_proj"},
                                                                                {"out_layers.0", "norm2"},
                                                                                {"out_layers.3", "conv2"},
                                                                                {"skip_connection", "conv_shortcut"}}};
    for (const auto& [ldm, diff] : kParts)
        if (rest == ldm) return std::string(diff);
    return std::nullopt;
}

}  // namespace

int64_t unet_res_blocks(const std::vector<std::string>& keys) {
    int64_t first_down = -1, last_input = 0;
    for (const std::string& key : keys) {
        int64_t n = 0, k = 0;
        std::string rest;
        if (!parse_block_key(key, "input_blocks", n, k, rest)) continue;
        last_input = std::max(last_input, n);
        if (rest == "op" && (first_down < 0 || n < first_down)) first_down = n;
    }
    // One level only: every input block after conv_in is a res block of it.
    return first_down > 0 ? first_down - 1 : std::max<int64_t>(last_input, 1);
}

std::optional<std::string> unet_key_to_diffusers(const std::string& key, int64_t res_blocks) {
    static const std::array<std::pair<const char*, const char*>, 5> kTop = {{{"input_blocks.0.0", "conv_in"},
                                                                             {"time_embed.0", "time_embedding.linear_1"},
                                                                             {"time_embed.2", "time_embedding.linear_2"},
                                                                             {"out.0", "conv_norm_out"},
                                                                             {"out.2", "conv_out"}}};
    for (const auto& [ldm, diff] : kTop)
        if (key == ldm) return std::string(diff);
    const int64_t per_level = res_blocks + 1;
    int64_t n = 0, k = 0;
    std::string rest;
    if (parse_block_key(key, "input_blocks", n, k, rest) && n >= 1) {
        const int64_t level = (n - 1) / per_level, i = (n - 1) % per_level;
        const std::string base = "down_blocks." + std::to_string(level) + ".";
        if (i == res_blocks) return rest == "op" && k == 0 ? std::optional(base + "downsamplers.0.conv") : std::nullopt;
        if (k == 0) {
            auto part = resnet_part(rest);
            return part ? std::optional(base + "resnets." + std::to_string(i) + "." + *part) : std::nullopt;
        }
        if (k == 1) return base + "attentions." + std::to_string(i) + "." + rest;
        return std::nullopt;
    }
    if (key.starts_with("middle_block.")) {
        // middle_block.N.rest: res block, attention, res block.
        const char* p = key.data() + 13;
        auto r = std::from_chars(p, key.data() + key.size(), n);
        if (r.ec != std::errc() || r.ptr == key.data() + key.size() || *r.ptr != '.') return std::nullopt;
        rest = std::string(r.ptr + 1, key.data() + key.size());
        if (n == 0 || n == 2) {
            auto part = resnet_part(rest);
            return part ? std::optional("mid_block.resnets." + std::to_string(n / 2) + "." + *part) : std::nullopt;
        }
        if (n == 1) return "mid_block.attentions.0." + rest;
        return std::nullopt;
    }
    if (parse_block_key(key, "output_blocks", n, k, rest)) {
        const int64_t level = n / per_level, i = n % per_level;
        const std::string base = "up_blocks." + std::to_string(level) + ".";
        if (rest == "conv" && k >= 1) return base + "upsamplers.0.conv";
        if (k == 0) {
            auto part = resnet_part(rest);
            return part ? std::optional(base + "resnets." + std::to_string(i) + "." + *part) : std::nullopt;
        }
        if (k == 1) return base + "attentions." + std::to_string(i) + "." + rest;
    }
    return std::nullopt;
}

std::map<std::string, std::string> unet_lora_names(const std::vector<std::string>& keys) {
    std::map<std::string, std::string> names;
    const int64_t res_blocks = unet_res_blocks(keys);
    for (const std::string& key : keys) {
        names["lora_unet_" + underscored(key)] = key;
        names["diffusion_model." + key] = key;
        names["model.diffusion_model." + key] = key;
        auto diff = unet_key_to_diffusers(key, res_blocks);
        if (!diff) continue;
        names["lora_unet_" + underscored(*diff)] = key;
        names["lycoris_" + underscored(*diff)] = key;
        // diffusers/PEFT: plain and "unet."-prefixed, and the older attention-processor spelling
        // (".processor.to_q", "to_out" without its ".0").
        std::string processor = *diff;
        for (size_t at = 0; (at = processor.find(".to_", at)) != std::string::npos; at += 14) processor.replace(at, 4, ".processor.to_");
        if (processor.ends_with(".to_out.0")) processor.resize(processor.size() - 2);
        for (const char* prefix : {"", "unet."}) {
            names[prefix + *diff] = key;
            names[prefix + processor] = key;
        }
    }
    return names;
}

std::map<std::string, std::string> clip_lora_names(const std::vector<std::string>& keys) {
    std::map<std::string, std::string> names;
    for (const std::string& key : keys) {
        const std::string text_model = "text_model." + key;
        for (const char* prefix : {"lora_te_", "lora_te1_"}) names[prefix + underscored(text_model)] = key;
        names["text_encoder." + text_model] = key;
        names["text_encoders.clip_l.transformer." + text_model] = key;
        names["clip_l.transformer." + text_model] = key;
        names["cond_stage_model.transformer." + text_model] = key;
    }
    return names;
}

}  // namespace weft::lora
