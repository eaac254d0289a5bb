#include "dnnl_context.h"

#include "ops_common.h"

#include "core/convert.h"

#include <omp.h>
#include <tbb/parallel_for.h>

#include <mutex>
#include <thread>

namespace weft::ops {

const char* compute_name(Compute c) { return c == Compute::BF16 ? "bf16" : "f32"; }

void init() {
    static std::once_flag once;
    std::call_once(once, [] {
        const unsigned n = std::max(1u, std::thread::hardware_concurrency());
        omp_set_num_threads(static_cast<int>(n));
    });
}

bool bf16_supported() {
    init();
    const auto isa = dnnl::get_effective_cpu_isa();
    return isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
}

namespace detail {

const dnnl::engine& engine() {
    static const dnnl::engine eng = [] {
        init();
        return dnnl::engine(dnnl::engine::kind::cpu, 0);
    }();
    return eng;
}

dnnl::stream& stream() {
    thread_local dnnl::stream s(engine());
    return s;
}

dnnl::memory wrap(const Tensor& t, const dnnl::memory::desc& md) {
    return dnnl::memory(md, engine(), static_cast<void*>(t.raw_data()));
}

Tensor as_compute(const Tensor& t, Compute c) {
    if (c == Compute::BF16 && t.dtype() == DType::BF16) return dense(t);
    Tensor d = t.dtype() == DType::F32 ? dense(t) : t.to(DType::F32);
    if (c == Compute::F32) return d;
    Tensor out = empty(d.shape(), DType::BF16);
    const float* src = d.data<float>();
    uint16_t* dst = out.data<uint16_t>();
    // Split in large chunks: the conversion is memory-bound and a second core still helps a little.
    const int64_t n = d.numel(), chunk = 1 << 16;
    tbb::parallel_for(int64_t(0), (n + chunk - 1) / chunk, [&](int64_t i) {
        const int64_t b = i * chunk, e = std::min(n, b + chunk);
        convert_f32_to_bf16(std::span<const float>(src + b, size_t(e - b)), std::span<uint16_t>(dst + b, size_t(e - b)));
    });
    return out;
}

void rethrow_dnnl(const char* op, const dnnl::error& e, const std::string& what) {
    fail(op, "oneDNN failed (" + std::string(e.what()) + ") for " + what);
}

}  // namespace detail
}  // namespace weft::ops
