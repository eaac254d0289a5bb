#include "families/upscale/upscale_model.h"

#include "tensor/model_file.h"

#include <weft/error.h>

#include <fmt/format.h>

#include <algorithm>

namespace weft::upscale {

int64_t UpscaleModel::scale() const {
    return std::visit([](const auto& n) { return n.scale(); }, net);
}
int64_t UpscaleModel::in_channels() const {
    return std::visit([](const auto& n) { return n.config().in_channels; }, net);
}
int64_t UpscaleModel::out_channels() const {
    return std::visit([](const auto& n) { return n.config().out_channels; }, net);
}
Tensor UpscaleModel::forward(const Tensor& x) const {
    return std::visit([&](const auto& n) { return n.forward(x); }, net);
}
double UpscaleModel::macs(int64_t h, int64_t w) const {
    return std::visit([&](const auto& n) { return n.macs(h, w); }, net);
}

Tensor UpscaleModel::upscale(const Tensor& x, const std::function<void(int64_t, int64_t)>& on_tile, int64_t tile,
                             int64_t overlap) const {
    if (!x.defined() || x.dim() != 4 || x.size(1) != in_channels())
        throw Error(ErrorCode::InvalidInputType, fmt::format("{} upscaler '{}' takes {}-channel images, got {}", architecture, path,
                                                      in_channels(), x.defined() ? x.describe() : std::string("nothing")));
    TileOptions o;
    o.tile_h = o.tile_w = tile;
    o.overlap = overlap;
    o.scale = static_cast<double>(scale());
    o.out_channels = out_channels();
    Tensor y = tiled_scale(x.to(DType::F32), [&](const Tensor& t) { return forward(t); }, o, on_tile);
    float* p = y.data<float>();
    std::transform(p, p + y.numel(), p, [](float v) { return std::clamp(v, 0.0f, 1.0f); });
    return y;
}

std::shared_ptr<const UpscaleModel> load_upscale_model(const std::string& path, ops::Compute mode) {
    auto file = std::make_shared<const ModelFile>(open_model_file(path));
    // BasicSR checkpoints keep the weights under params_ema (preferred) or params.
    std::string prefix;
    for (const char* p : {"params_ema.", "params."}) {
        auto it = file->tensors.lower_bound(p);
        if (it != file->tensors.end() && it->first.rfind(p, 0) == 0) {
            prefix = p;
            break;
        }
    }
    const nets::WeightTable t(file, prefix);
    auto m = std::make_shared<UpscaleModel>();
    m->path = path;
    try {
        if (nets::Esrgan::matches(t)) {
            m->architecture = "ESRGAN";
            m->net = nets::Esrgan::load(t, mode);
        } else if (nets::Srvgg::matches(t)) {
            m->architecture = "RealESRGAN Compact";
            m->net = nets::Srvgg::load(t, mode);
        } else {
            std::string sample;
            int shown = 0;
            for (const auto& [k, v] : file->tensors) {
                if (shown++ == 4) break;
                sample += (sample.empty() ? "" : ", ") + k;
            }
            throw Error(ErrorCode::InvalidModel, fmt::format("{}: unknown upscale model architecture (weft runs ESRGAN/RRDBNet and "
                                                     "Real-ESRGAN compact models); its keys begin {}",
                                                     path, sample.empty() ? std::string("(no tensors)") : sample));
        }
    } catch (Error& e) {
        if (e.path().empty()) e.at_path(path);
        throw;
    }
    m->bytes = std::visit([](const auto& n) { return n.bytes(); }, m->net);
    return m;
}

}  // namespace weft::upscale
