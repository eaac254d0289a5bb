// sampling/brownian_tree.h — torchsde 0.2.6's BrownianTree (a BrownianInterval with
// halfway_tree=True, tol=1e-6, pool_size=24, no Levy area), reproduced so that ComfyUI's SDE
// samplers (dpmpp_sde, dpmpp_2m_sde, dpmpp_3m_sde) get the same noise.
//
//   BrownianTree tree(sigma_min, sigma_max, x.shape(), seed);
//   Tensor w = tree.increment(s, t);   // W(t) - W(s), s <= t
//
// Structure (sd-models.md §5.5): the root holds W(t1) - W(t0) = randn(seed_W) * sqrt(t1 - t0);
// every query point is rounded to 6 decimals and reached by bisecting intervals at their (rounded)
// midpoints; a child's increment is the Brownian bridge of its parent's, with noise from a fresh
// torch CPU generator seeded by numpy SeedSequence(entropy, spawn_key=(key, depth), pool 24).
// Values do not depend on query order or caching.
//
// Thread safety: a tree is mutable (it grows with queries); use one per sampling run.
#pragma once

#include "sampling/sampler.h"

#include <weft/tensor.h>

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace weft::models {

class BrownianTree {
public:
    /// t0 < t1 are the float32 sigma bounds as the sampler has them.
    BrownianTree(float t0, float t1, Shape shape, uint64_t entropy);

    /// W(tb) - W(ta) for ta <= tb (clamped to [t0, t1]), float32 of the tree's shape.
    Tensor increment(double ta, double tb);

private:
    struct Node {
        double start = 0, end = 0;
        int parent = -1;
        bool is_left = false;
        bool split = false;
        double midway = 0;
        uint64_t spawn_key = 0;
        int depth = 0;
        uint32_t w_seed = 0;
        int left = -1, right = -1;
    };

    void locate(int node, double ta, double tb, std::vector<int>& out);
    void split_towards(int node, double point);
    void split_exact(int node, double midway);
    Tensor node_increment(int node);

    Shape shape_;
    uint64_t entropy_;
    std::vector<Node> nodes_;
    Tensor root_w_;
    std::map<int, Tensor> cache_;  // bounded; values are recomputable
};

/// Python's round(x, 6) (correctly rounded through decimal).
double round6(double x);

/// ComfyUI's BrownianTreeNoiseSampler (cpu=True): tree over [min positive sigma, max sigma] of
/// `sigmas`, seeded with `seed`; each call returns tree(sigma, sigma_next) / sqrt(|sigma_next - sigma|).
NoiseSampler brownian_tree_noise_sampler(const Shape& shape, const Sigmas& sigmas, uint64_t seed);

/// ComfyUI's default_noise_sampler on the CPU: a torch generator seeded with seed + 1, one
/// randn(shape) per call.
NoiseSampler default_noise_sampler(const Shape& shape, uint64_t seed);

}  // namespace weft::models
