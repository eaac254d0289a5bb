// nodes/tensor_helpers.h — small tensor plumbing the image, mask and latent nodes share:
// layout changes, batch repetition and concatenation, Python slice bounds, input checks.
#pragma once

#include <weft/error.h>
#include <weft/node.h>
#include <weft/tensor.h>

#include <cstdint>
#include <span>
#include <string_view>

namespace weft::nodes {

/// [B,H,W,C] -> contiguous [B,C,H,W] (image.movedim(-1, 1)).
Tensor nhwc_to_nchw(const Tensor& t);
/// [B,C,H,W] -> contiguous [B,H,W,C] (movedim(1, -1)).
Tensor nchw_to_nhwc(const Tensor& t);

/// A MASK as a contiguous F32 [B,H,W] (ComfyUI's mask.reshape((-1, H, W))); 2-d masks are a batch
/// of one. Throws weft::Error(weft::ErrorCode::InvalidInputType) naming `what` for fewer than 2 dimensions.
Tensor mask_batch(const Tensor& t, std::string_view what = "mask");

/// A LATENT's samples as a contiguous F32 [B,C,H,W]; throws naming `what` otherwise.
Tensor latent_samples(const Tensor& t, std::string_view what = "samples");

/// comfy.utils.repeat_to_batch_size along dimension 0: the first `batch` items, repeating the
/// whole batch cyclically when it is smaller. Returns a contiguous tensor.
Tensor repeat_to_batch(const Tensor& t, int64_t batch);
/// `t` repeated `times` times along dimension 0 (torch's repeat((times, 1, ...))).
Tensor repeat_batch(const Tensor& t, int64_t times);
/// Concatenation along dimension 0; every tensor must have the same trailing shape.
Tensor concat_batch(std::span<const Tensor> parts);

/// The [begin, end) a Python slice `start:stop` selects on a sequence of length `len` (negative
/// values count from the end; the result is clamped and never reversed).
struct SliceRange {
    int64_t begin = 0, end = 0;
    int64_t size() const { return end - begin; }
};
SliceRange py_slice(int64_t len, int64_t start, int64_t stop);

/// `t` (contiguous result) mirrored along dimension `hdim` (vertical = flip rows) or `hdim + 1`
/// (flip columns): torch.flip.
Tensor flip_hw(const Tensor& t, int64_t hdim, bool vertical);
/// `t` turned clockwise by `k` quarter turns in the plane of dimensions (hdim, hdim + 1):
/// torch.rot90(t, k, dims=[hdim + 1, hdim]).
Tensor rot90_hw(const Tensor& t, int64_t hdim, int k);

/// node_helpers.image_alpha_fix for two IMAGE batches: when `source` has more channels than
/// `destination` its extra ones are dropped; when fewer, it gets an opaque alpha channel (1.0).
/// Returns the adjusted source (contiguous F32).
Tensor match_source_channels(const Tensor& destination, const Tensor& source);

/// An error for input `input` of the running node.
Error input_error(const NodeContext& ctx, std::string_view input, const std::string& message);

}  // namespace weft::nodes
