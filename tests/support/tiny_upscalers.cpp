#include "tiny_upscalers.h"

#include "tensor/safetensors.h"

#include <cmath>
#include <random>
#include <regex>

namespace weft::testing {

Tensor random_normal(const Shape& shape, float std, uint32_t seed) {
    Tensor t = Tensor::zeros(shape);
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = nd(rng) * std;
    return t;
}

namespace {

void add_conv(TensorMap& m, const std::string& name, int64_t in, int64_t out, uint32_t& seed) {
    // Kaiming-like scale keeps activations of order one through the deep residual trunk.
    m[name + ".weight"] = random_normal({out, in, 3, 3}, 1.0f / std::sqrt(static_cast<float>(in * 9)), seed++);
    m[name + ".bias"] = random_normal({out}, 0.05f, seed++);
}

}  // namespace

TensorMap tiny_rrdb(const RrdbSpec& s, uint32_t seed) {
    TensorMap m;
    add_conv(m, "model.0", s.in, s.nf, seed);
    for (int64_t i = 0; i < s.nb; ++i)
        for (int k = 1; k <= 3; ++k)
            for (int j = 1; j <= 5; ++j)
                add_conv(m, "model.1.sub." + std::to_string(i) + ".RDB" + std::to_string(k) + ".conv" + std::to_string(j) + ".0",
                         s.nf + (j - 1) * s.gc, j == 5 ? s.nf : s.gc, seed);
    add_conv(m, "model.1.sub." + std::to_string(s.nb), s.nf, s.nf, seed);
    for (int64_t u = 1; u <= s.upsamples; ++u) add_conv(m, "model." + std::to_string(3 * u), s.nf, s.nf, seed);
    add_conv(m, "model." + std::to_string(3 * s.upsamples + 2), s.nf, s.nf, seed);
    add_conv(m, "model." + std::to_string(3 * s.upsamples + 4), s.nf, s.out, seed);
    return m;
}

std::vector<std::pair<std::string, Tensor>> rrdb_in_layout(const TensorMap& canonical, const RrdbSpec& s, const std::string& layout,
                                                           const std::string& prefix) {
    std::vector<std::pair<std::string, Tensor>> out;
    const bool bsr = layout == "bsrgan";
    const std::regex rdb(R"(model\.1\.sub\.(\d+)\.RDB(\d)\.conv(\d)\.0\.(weight|bias))");
    const std::regex top(R"(model\.(\d+)\.(weight|bias))");
    const std::string trunk = "model.1.sub." + std::to_string(s.nb) + ".";
    for (const auto& [k, v] : canonical) {
        std::string name = k;
        if (layout != "old") {
            std::smatch m;
            if (std::regex_match(k, m, rdb)) {
                name = (bsr ? "RRDB_trunk." : "body.") + m[1].str() + (bsr ? ".RDB" : ".rdb") + m[2].str() + ".conv" + m[3].str() + "." +
                       m[4].str();
            } else if (k.rfind(trunk, 0) == 0) {
                name = (bsr ? "trunk_conv." : "conv_body.") + k.substr(trunk.size());
            } else if (std::regex_match(k, m, top)) {
                const int64_t idx = std::stoll(m[1].str());
                const std::string kind = m[2].str();
                if (idx == 0) name = "conv_first." + kind;
                else if (idx == 3 * s.upsamples + 2) name = (bsr ? "HRconv." : "conv_hr.") + kind;
                else if (idx == 3 * s.upsamples + 4) name = "conv_last." + kind;
                else name = (bsr ? "upconv" : "conv_up") + std::to_string(idx / 3) + "." + kind;
            }
        }
        out.emplace_back(prefix + name, v);
    }
    return out;
}

TensorMap tiny_srvgg(const SrvggSpec& s, uint32_t seed) {
    TensorMap m;
    int64_t i = 0;
    add_conv(m, "body.0", s.in, s.feat, seed);
    m["body.1.weight"] = random_normal({s.feat}, 0.2f, seed++);
    for (int64_t c = 0; c < s.convs; ++c) {
        i += 2;
        add_conv(m, "body." + std::to_string(i), s.feat, s.feat, seed);
        m["body." + std::to_string(i + 1) + ".weight"] = random_normal({s.feat}, 0.2f, seed++);
    }
    add_conv(m, "body." + std::to_string(i + 2), s.feat, s.in * s.scale * s.scale, seed);
    return m;
}

void write_model(const std::filesystem::path& path, const std::vector<std::pair<std::string, Tensor>>& tensors) {
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
    write_safetensors(path.string(), tensors);
}

void write_model(const std::filesystem::path& path, const TensorMap& tensors) {
    write_model(path, std::vector<std::pair<std::string, Tensor>>(tensors.begin(), tensors.end()));
}

}  // namespace weft::testing
