// Blocked attention with an online softmax (the "flash attention" recurrence): for each
// (batch, head, block of queries) a thread walks the key blocks, keeping a running row max m, row
// sum l and an unnormalised output O:
//   S = scale·Q·Kᵀ;  m' = max(m, rowmax(S));  P = exp(S − m');
//   l = l·e^(m−m') + rowsum(P);  O = O·e^(m−m') + P·V;        result = O / l.
// Only one block of scores per thread exists at a time. The two block products run as oneDNN matmul
// primitives executed inside an OpenMP parallel region (oneDNN then runs each on the calling
// thread), with user-managed scratchpads so threads never share oneDNN's internal buffers.
#include "attention.h"

#include "dnnl_context.h"
#include "ops_common.h"
#include "vec_math.h"


#include <omp.h>

#include <bit>
#include <cmath>
#include <exception>
#include <map>
#include <mutex>
#include <tuple>

namespace weft::ops {

using detail::check;
using dnnl::memory;

namespace {

// Key block: long enough that the per-block matmul calls are cheap next to their work. Query
// block: sized so one score block is about 64K floats (256 KiB, in L2), which makes short key
// sequences (cross-attention to 77 tokens) use long query blocks; shrunk while there are fewer than
// four blocks per thread. bf16 takes blocks twice as large: its products are faster, so their
// per-call cost weighs more (measured at 4096 tokens, d 40: 99 ms instead of 106; in fp32 the
// larger block is slower, 160 ms instead of 146).
constexpr int64_t kMaxBlockK = 512;
constexpr int64_t kScoreBlock = 65536;

std::pair<int64_t, int64_t> block_sizes(int64_t BH, int64_t Tq, int64_t Tk, int64_t threads, Compute mode) {
    const int64_t bk = std::min(Tk, kMaxBlockK);
    const int64_t score_block = mode == Compute::BF16 ? 2 * kScoreBlock : kScoreBlock;
    int64_t bq = std::clamp<int64_t>(score_block / bk / 32 * 32, 128, 2048);
    while (bq > 32 && BH * ((Tq + bq - 1) / bq) < 4 * threads) bq /= 2;
    return {std::min(bq, Tq), bk};
}

// Row-major strided view of one operand as oneDNN sees it: [rows, cols] with a row stride.
struct Operand {
    Tensor t;
    const std::byte* base(int64_t b, int64_t h) const {
        return t.raw_data() + (b * t.strides()[0] + h * t.strides()[1]) * int64_t(dtype_size(t.dtype()));
    }
    int64_t row_stride() const { return t.strides()[2]; }
    size_t esize() const { return dtype_size(t.dtype()); }
};

Operand prepare(const Tensor& t, Compute mode) {
    if (mode == Compute::BF16 || t.dtype() != DType::F32) return {detail::as_compute(t, mode)};
    return {t.strides()[3] == 1 ? t : t.contiguous()};
}

struct Products {
    dnnl::matmul qk, pv;
    size_t scratch = 0;
};

// Primitive descriptor creation costs far more than a short attention (77 tokens), so the pairs
// are kept for the process's lifetime, keyed by everything that shapes them (a few per model).
using ProductKey = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int, uint32_t>;

template <class Make> Products cached_products(const ProductKey& key, Make&& make) {
    static std::mutex mutex;
    static std::map<ProductKey, Products> cache;
    {
        std::lock_guard lock(mutex);
        auto it = cache.find(key);
        if (it != cache.end()) return it->second;
    }
    Products made = make();
    std::lock_guard lock(mutex);
    if (cache.size() >= 512) cache.clear();  // bound: shapes vary only with resolution and model
    return cache.emplace(key, std::move(made)).first->second;
}

}  // namespace

Tensor attention(const Tensor& q0, const Tensor& k0, const Tensor& v0, const AttentionParams& p, Compute mode) {
    detail::check_float(q0, "attention", "q", 4);
    detail::check_float(k0, "attention", "k", 4);
    detail::check_float(v0, "attention", "v", 4);
    const int64_t B = q0.size(0), H = q0.size(1), Tq = q0.size(2), D = q0.size(3);
    const int64_t Tk = k0.size(2), Dv = v0.size(3);
    check(k0.size(0) == B && v0.size(0) == B && k0.size(1) == H && v0.size(1) == H && k0.size(3) == D &&
              v0.size(2) == Tk && Tk > 0 && D > 0,
          "attention", [&] {
              return "q " + q0.describe() + ", k " + k0.describe() + ", v " + v0.describe() +
                     " are not [B, H, Tq, d], [B, H, Tk, d], [B, H, Tk, dv] with Tk > 0";
          });
    // Stored token-major, returned as the [B, H, Tq, Dv] view.
    Tensor store = detail::empty({B, Tq, H, Dv});
    Tensor out = store.permute({0, 2, 1, 3});
    if (out.numel() == 0) return out;

    const Operand Q = prepare(q0, mode), K = prepare(k0, mode), V = prepare(v0, mode);
    const float scale = p.scale != 0.0f ? p.scale : 1.0f / std::sqrt(float(D));
    const auto dt = detail::dnnl_type(mode);
    const auto f32 = memory::data_type::f32;

    // One pair of primitives per (query block rows, key block rows); at most four shapes.
    auto q_desc = [&](int64_t bq) { return memory::desc({bq, D}, dt, {Q.row_stride(), 1}); };
    auto kt_desc = [&](int64_t bk) { return memory::desc({D, bk}, dt, {1, K.row_stride()}); };
    auto s_desc = [&](int64_t bq, int64_t bk) { return memory::desc({bq, bk}, f32, {bk, 1}); };
    auto p_desc = [&](int64_t bq, int64_t bk) { return memory::desc({bq, bk}, dt, {bk, 1}); };
    auto v_desc = [&](int64_t bk) { return memory::desc({bk, Dv}, dt, {V.row_stride(), 1}); };
    auto o_desc = [&](int64_t bq) { return memory::desc({bq, Dv}, f32, {Dv, 1}); };

    const auto [kBlockQ, kBlockK] = block_sizes(B * H, Tq, Tk, omp_get_max_threads(), mode);
    std::map<std::pair<int64_t, int64_t>, Products> prims;
    size_t scratch = 0;
    try {
        for (int64_t bq : {std::min(kBlockQ, Tq), Tq % kBlockQ})
            for (int64_t bk : {std::min(kBlockK, Tk), Tk % kBlockK}) {
                if (bq == 0 || bk == 0 || prims.count({bq, bk})) continue;
                const ProductKey key{bq, bk, D, Dv, Q.row_stride(), K.row_stride(), V.row_stride(), int(mode),
                                     std::bit_cast<uint32_t>(scale)};
                Products pr = cached_products(key, [&] {
                    dnnl::primitive_attr qk_attr, pv_attr;
                    qk_attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
                    qk_attr.set_output_scales(0, {scale});  // S = scale·Q·Kᵀ inside the kernel
                    pv_attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
                    dnnl::post_ops acc;
                    acc.append_sum(1.0f);  // O += P·V
                    pv_attr.set_post_ops(acc);
                    dnnl::matmul::primitive_desc qk(dnnl::matmul::desc(q_desc(bq), kt_desc(bk), s_desc(bq, bk)), qk_attr,
                                                    detail::engine());
                    dnnl::matmul::primitive_desc pv(dnnl::matmul::desc(p_desc(bq, bk), v_desc(bk), o_desc(bq)), pv_attr,
                                                    detail::engine());
                    const size_t need = std::max(qk.scratchpad_desc().get_size(), pv.scratchpad_desc().get_size());
                    return Products{dnnl::matmul(qk), dnnl::matmul(pv), need};
                });
                scratch = std::max(scratch, pr.scratch);
                prims[{bq, bk}] = pr;
            }
    } catch (const dnnl::error& e) {
        detail::rethrow_dnnl("attention", e, q0.describe() + " (" + compute_name(mode) + ")");
    }

    const int64_t nqb = (Tq + kBlockQ - 1) / kBlockQ, nkb = (Tk + kBlockK - 1) / kBlockK;
    const int64_t items = B * H * nqb;
    float* po = store.data<float>();
    std::exception_ptr error;
    std::mutex error_mutex;

#pragma omp parallel
    {
        // Per-thread blocks kept between calls: fresh ones would page-fault in every call
        // (OpenMP's threads persist, so these are allocated once per thread and size).
        thread_local std::vector<float> S, O, m, l;
        thread_local std::vector<uint16_t> P16;
        thread_local std::vector<std::byte> pad;
        auto fit = [](auto& v, size_t n) {
            if (v.size() < n) v.resize(n);
        };
        fit(S, size_t(kBlockQ * kBlockK));
        fit(O, size_t(kBlockQ * Dv));
        fit(m, size_t(kBlockQ));
        fit(l, size_t(kBlockQ));
        if (mode == Compute::BF16) fit(P16, size_t(kBlockQ * kBlockK));
        fit(pad, scratch + 64);
        dnnl::stream& st = detail::stream();
        const memory::desc pad_desc({int64_t(scratch) + 64}, memory::data_type::u8, memory::format_tag::a);
        memory scratch_mem(pad_desc, detail::engine(), pad.data());
        // An exception must not leave the worksharing loop (the other threads would wait at its
        // barrier forever): each item catches, and items after a failure are skipped.
#pragma omp for schedule(dynamic, 1)
        for (int64_t item = 0; item < items; ++item) {
            {
                std::lock_guard lock(error_mutex);
                if (error) continue;
            }
            try {
                const int64_t qb = item % nqb, h = (item / nqb) % H, b = item / (nqb * H);
                const int64_t q0i = qb * kBlockQ, bq = std::min(kBlockQ, Tq - q0i);
                std::fill(m.begin(), m.begin() + bq, -INFINITY);
                std::fill(l.begin(), l.begin() + bq, 0.0f);
                std::fill(O.begin(), O.begin() + bq * Dv, 0.0f);
                memory qm(q_desc(bq), detail::engine(),
                          const_cast<std::byte*>(Q.base(b, h) + q0i * Q.row_stride() * Q.esize()));
                memory om(o_desc(bq), detail::engine(), O.data());
                for (int64_t kb = 0; kb < nkb; ++kb) {
                    const int64_t k0i = kb * kBlockK, bk = std::min(kBlockK, Tk - k0i);
                    if (p.causal && k0i > q0i + bq - 1) break;
                    const Products& pr = prims.at({bq, bk});
                    memory km(kt_desc(bk), detail::engine(),
                              const_cast<std::byte*>(K.base(b, h) + k0i * K.row_stride() * K.esize()));
                    memory vm_(v_desc(bk), detail::engine(),
                               const_cast<std::byte*>(V.base(b, h) + k0i * V.row_stride() * V.esize()));
                    memory sm(s_desc(bq, bk), detail::engine(), S.data());
                    pr.qk.execute(st, {{DNNL_ARG_SRC, qm}, {DNNL_ARG_WEIGHTS, km}, {DNNL_ARG_DST, sm},
                                       {DNNL_ARG_SCRATCHPAD, scratch_mem}});
                    for (int64_t i = 0; i < bq; ++i) {
                        float* s = S.data() + i * bk;
                        // Causal: keys past the query's own index are masked out.
                        const int64_t visible = p.causal ? std::clamp<int64_t>(q0i + i - k0i + 1, 0, bk) : bk;
                        for (int64_t j = visible; j < bk; ++j) s[j] = -INFINITY;
                        const float mx = vm::max(s, bk);
                        const float m_new = std::max(m[i], mx);
                        if (m_new == -INFINITY) {  // nothing visible yet
                            std::fill(s, s + bk, 0.0f);
                            if (mode == Compute::BF16) std::fill(P16.data() + i * bk, P16.data() + (i + 1) * bk, uint16_t(0));
                        } else {
                            const float alpha = vm::exp(m[i] - m_new);
                            // bf16: the probabilities go straight to the bf16 block in the same pass.
                            const float rowsum = mode == Compute::BF16 ? vm::exp_shifted_to_bf16(s, P16.data() + i * bk, bk, m_new)
                                                                        : vm::exp_shifted(s, s, bk, m_new);
                            l[i] = l[i] * alpha + rowsum;
                            m[i] = m_new;
                            if (alpha != 1.0f)
                                for (int64_t c = 0; c < Dv; ++c) O[i * Dv + c] *= alpha;
                        }
                    }
                    memory pm(p_desc(bq, bk), detail::engine(),
                              mode == Compute::BF16 ? static_cast<void*>(P16.data()) : static_cast<void*>(S.data()));
                    pr.pv.execute(st, {{DNNL_ARG_SRC, pm}, {DNNL_ARG_WEIGHTS, vm_}, {DNNL_ARG_DST, om},
                                       {DNNL_ARG_SCRATCHPAD, scratch_mem}});
                }
                st.wait();
                for (int64_t i = 0; i < bq; ++i) {
                    const float inv = 1.0f / l[i];
                    float* dst = po + ((b * Tq + q0i + i) * H + h) * Dv;
                    for (int64_t c = 0; c < Dv; ++c) dst[c] = O[i * Dv + c] * inv;
                }
            } catch (...) {
                std::lock_guard lock(error_mutex);
                if (!error) error = std::current_exception();
            }
        }
    }
    if (error) {
        try {
            std::rethrow_exception(error);
        } catch (const dnnl::error& e) {
            detail::rethrow_dnnl("attention", e, q0.describe() + " (" + compute_name(mode) + ")");
        }
    }
    return out;
}

}  // namespace weft::ops
