// sampling/diffusion_network.h — what sampling needs from a family's denoising network.
//
// Each model family (families/<name>/) implements DiffusionNetwork for its network (the SD1 UNet,
// later the SDXL UNet, the Wan and LTX transformers); the samplers and the conditioning evaluation
// see only this interface, so a new family needs no change in sampling/.
//
//   const DiffusionNetwork& net = checkpoint.unet;
//   Tensor out = net.forward(x, timesteps, context);   // the raw network output (eps, v or flow)
#pragma once

#include <weft/tensor.h>

#include <vector>

namespace weft::models {

/// What a ControlNet or T2I-adapter adds inside the network (ComfyUI's control dict), indexed by
/// input block: `input[i]` is added to input block i's output before it is kept as a skip
/// (T2I-adapters), `skip[i]` to skip i when an output block takes it (ControlNet), `middle` to
/// the middle block's output. Undefined tensors and missing entries add nothing.
struct ControlResiduals {
    std::vector<Tensor> input, skip;
    Tensor middle;
    bool empty() const { return input.empty() && skip.empty() && !middle.defined(); }
};

class DiffusionNetwork {
public:
    virtual ~DiffusionNetwork() = default;
    /// Channels of the input x (latent channels plus any concatenated conditioning channels,
    /// e.g. 9 for an SD1 inpainting UNet).
    virtual int64_t in_channels() const = 0;
    /// The network's raw prediction for x at `timesteps` (one float per batch item) under the
    /// cross-attention `context`; `control` adds ControlNet residuals where the family has them.
    virtual Tensor forward(const Tensor& x, const Tensor& timesteps, const Tensor& context,
                           const ControlResiduals* control = nullptr) const = 0;

protected:
    DiffusionNetwork() = default;
    DiffusionNetwork(const DiffusionNetwork&) = default;
    DiffusionNetwork& operator=(const DiffusionNetwork&) = default;
};

}  // namespace weft::models
