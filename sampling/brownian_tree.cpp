// sampling/brownian_tree.cpp — torchsde's halfway Brownian tree and ComfyUI's noise samplers.
#include "sampling/brownian_tree.h"

#include "sampling/seed_sequence.h"
#include "blocks/torch_rng.h"

#include <weft/error.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace weft::models {

namespace {

constexpr int kPoolSize = 24;
constexpr size_t kCacheLimit = 64;

Tensor randn_with_seed(const Shape& shape, uint32_t seed) {
    TorchGenerator g(seed);
    return g.randn(shape);
}

}  // namespace

double round6(double x) {
    char buf[512];
    std::snprintf(buf, sizeof buf, "%.6f", x);
    return std::strtod(buf, nullptr);
}

BrownianTree::BrownianTree(float t0f, float t1f, Shape shape, uint64_t entropy)
    : shape_(std::move(shape)), entropy_(entropy) {
    const double t0 = t0f, t1 = t1f;
    if (!(t0 <= t1)) throw Error(ErrorCode::InvalidInput, "BrownianTree: t0 must not exceed t1");
    Node root;
    root.start = round6(t0);
    root.end = round6(t1);
    nodes_.push_back(root);
    const auto seeds = SeedSequence(entropy_, {}, kPoolSize).generate_state(3);
    root_w_ = randn_with_seed(shape_, seeds[0]);
    const float scale = static_cast<float>(std::sqrt(t1 - t0));
    float* w = root_w_.data<float>();
    for (int64_t i = 0; i < root_w_.numel(); ++i) w[i] *= scale;
}

void BrownianTree::split_exact(int idx, double midway) {
    {
        Node& n = nodes_[static_cast<size_t>(idx)];
        n.split = true;
        n.midway = round6(midway);
        if (n.parent < 0) {
            n.spawn_key = 0;
            n.depth = 0;
        } else {
            const Node& p = nodes_[static_cast<size_t>(n.parent)];
            n.spawn_key = 2 * p.spawn_key + (n.is_left ? 0 : 1);
            n.depth = p.depth + 1;
        }
        if (n.depth >= 63) throw Error(ErrorCode::InternalError, "BrownianTree: tree too deep");
        n.w_seed = SeedSequence(entropy_, {n.spawn_key, static_cast<uint64_t>(n.depth)}, kPoolSize).generate_state(4)[0];
    }
    Node left, right;
    const Node& n = nodes_[static_cast<size_t>(idx)];
    left.start = n.start;
    left.end = round6(midway);
    right.start = round6(midway);
    right.end = n.end;
    left.parent = right.parent = idx;
    left.is_left = true;
    right.is_left = false;
    const int li = static_cast<int>(nodes_.size());
    nodes_.push_back(left);
    nodes_.push_back(right);
    nodes_[static_cast<size_t>(idx)].left = li;
    nodes_[static_cast<size_t>(idx)].right = li + 1;
}

void BrownianTree::split_towards(int idx, double point) {
    // Bisect at the halfway point, then keep bisecting the side that contains `point` until
    // `point` is a node boundary.
    for (;;) {
        const Node& n = nodes_[static_cast<size_t>(idx)];
        split_exact(idx, 0.5 * (n.end + n.start));
        const Node& m = nodes_[static_cast<size_t>(idx)];
        if (point > m.midway) idx = m.right;
        else if (point < m.midway) idx = m.left;
        else return;
    }
}

void BrownianTree::locate(int idx, double ta, double tb, std::vector<int>& out) {
    for (;;) {
        const Node n = nodes_[static_cast<size_t>(idx)];
        if (ta < n.start || tb > n.end) {
            if (n.parent < 0) throw Error(ErrorCode::InternalError, "BrownianTree: query outside the root interval");
            idx = n.parent;
            continue;
        }
        if (ta == n.start && tb == n.end) {
            out.push_back(idx);
            return;
        }
        if (!n.split) {
            if (ta == n.start) {
                split_towards(idx, tb);
                idx = nodes_[static_cast<size_t>(idx)].left;
            } else {
                split_towards(idx, ta);
                idx = nodes_[static_cast<size_t>(idx)].right;
            }
            continue;
        }
        if (tb <= n.midway) {
            idx = n.left;
        } else if (ta >= n.midway) {
            idx = n.right;
        } else {
            locate(n.left, ta, n.midway, out);
            ta = n.midway;
            idx = n.right;
        }
    }
}

Tensor BrownianTree::node_increment(int idx) {
    if (idx == 0) return root_w_;
    if (auto it = cache_.find(idx); it != cache_.end()) return it->second;
    const Node n = nodes_[static_cast<size_t>(idx)];
    const Node p = nodes_[static_cast<size_t>(n.parent)];
    const Tensor wp = node_increment(n.parent);
    // Brownian bridge over the parent: left = mean + sqrt(var) * noise, right = parent - left,
    // in float32 with the Python-double coefficients rounded to float (torch scalar semantics).
    const double h_rec = 1.0 / (p.end - p.start);
    const double left_diff = p.midway - p.start, right_diff = p.end - p.midway;
    const float c_left = static_cast<float>(left_diff), c_h = static_cast<float>(h_rec);
    const float c_sd = static_cast<float>(std::sqrt(left_diff * right_diff * h_rec));
    const Tensor noise = randn_with_seed(shape_, p.w_seed);
    Tensor out = Tensor::zeros(shape_, DType::F32);
    const float* w = wp.data<float>();
    const float* z = noise.data<float>();
    float* o = out.data<float>();
    for (int64_t i = 0; i < out.numel(); ++i) {
        const float mean = (c_left * w[i]) * c_h;
        const float scaled = c_sd * z[i];
        const float left_w = mean + scaled;
        o[i] = n.is_left ? left_w : w[i] - left_w;
    }
    if (cache_.size() >= kCacheLimit) cache_.clear();
    cache_[idx] = out;
    return out;
}

Tensor BrownianTree::increment(double ta, double tb) {
    const Node& root = nodes_[0];
    ta = std::clamp(ta, root.start, root.end);
    tb = std::clamp(tb, root.start, root.end);
    if (ta > tb) throw Error(ErrorCode::InvalidInput, "BrownianTree: query times must satisfy ta <= tb");
    if (ta == tb) return Tensor::zeros(shape_, DType::F32);
    std::vector<int> parts;
    locate(0, round6(ta), round6(tb), parts);
    Tensor w = node_increment(parts[0]).clone();
    float* o = w.data<float>();
    for (size_t k = 1; k < parts.size(); ++k) {
        const Tensor wi = node_increment(parts[k]);
        const float* s = wi.data<float>();
        for (int64_t i = 0; i < w.numel(); ++i) o[i] = o[i] + s[i];
    }
    return w;
}

NoiseSampler brownian_tree_noise_sampler(const Shape& shape, const Sigmas& sigmas, uint64_t seed) {
    float smin = 0.0f, smax = 0.0f;
    bool any = false;
    for (float s : sigmas) {
        if (s > 0.0f) {
            smin = any ? std::min(smin, s) : s;
            any = true;
        }
        smax = std::max(smax, s);
    }
    if (!any) return [shape](float, float) { return Tensor::zeros(shape, DType::F32); };
    auto tree = std::make_shared<BrownianTree>(smin, smax, shape, seed);
    return [tree](float sigma, float sigma_next) {
        const bool forward = sigma < sigma_next;
        const float lo = forward ? sigma : sigma_next, hi = forward ? sigma_next : sigma;
        Tensor w = tree->increment(lo, hi);
        const float sign = forward ? 1.0f : -1.0f;
        const float denom = std::sqrt(std::fabs(sigma_next - sigma));
        float* d = w.data<float>();
        for (int64_t i = 0; i < w.numel(); ++i) d[i] = (d[i] * sign) / denom;
        return w;
    };
}

NoiseSampler default_noise_sampler(const Shape& shape, uint64_t seed) {
    auto gen = std::make_shared<TorchGenerator>(seed + 1);
    return [gen, shape](float, float) { return gen->randn(shape); };
}

}  // namespace weft::models
