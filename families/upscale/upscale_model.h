// families/upscale/upscale_model.h — an image upscaling model file (ComfyUI's UPSCALE_MODEL): the
// architecture is recognised from the keys, and the model upscales whole images in tiles.
//
//   auto m = load_upscale_model("models/upscale_models/RealESRGAN_x4plus.safetensors");
//   Tensor big = m->upscale(image_nchw, [&](int64_t done, int64_t total) { ... });  // clamped 0..1
//
// Recognised: ESRGAN/RRDBNet in its old, Real-ESRGAN and BSRGAN key layouts (nets/esrgan.h) and
// Real-ESRGAN's compact SRVGGNet (nets/srvgg.h). Keys may sit under "params_ema." or "params."
// (BasicSR training checkpoints). Heavy: upscale from one thread at a time.
#pragma once

#include "families/upscale/esrgan.h"
#include "families/upscale/srvgg.h"
#include "blocks/tiled_scale.h"

#include <weft/tensor.h>

#include <functional>
#include <memory>
#include <string>
#include <variant>

namespace weft::upscale {

struct UpscaleModel {
    std::string path;
    std::string architecture;  // "ESRGAN" or "RealESRGAN Compact"
    std::variant<nets::Esrgan, nets::Srvgg> net;
    size_t bytes = 0;

    int64_t scale() const;
    int64_t in_channels() const;
    int64_t out_channels() const;
    /// One forward pass: [N, in, H, W] -> [N, out, H·scale, W·scale], not clamped.
    Tensor forward(const Tensor& x) const;
    /// Multiply-accumulates of one forward pass on an H×W input.
    double macs(int64_t h, int64_t w) const;

    /// ImageUpscaleWithModel's computation on x [N, C, H, W] F32: tiles of 512 with overlap 32
    /// (tiled_scale), `on_tile(done, total)` after each tile, result clamped to 0..1.
    Tensor upscale(const Tensor& x, const std::function<void(int64_t, int64_t)>& on_tile = {}, int64_t tile = 512,
                   int64_t overlap = 32) const;
};

/// Reads `path` (safetensors or a PyTorch .pth/.ckpt) and builds the model its keys describe.
/// Throws weft::Error naming the file when it is unreadable or of an unknown architecture.
std::shared_ptr<const UpscaleModel> load_upscale_model(const std::string& path, ops::Compute mode = ops::Compute::F32);

}  // namespace weft::upscale
