// bench/gemm_peak.h — the oneDNN GEMM ceiling measured in the same run as a benchmark, and a timer
// that reports how much CPU other processes took meanwhile (the dev machine is shared). Used by
// ops_bench and sd15_bench.
#pragma once

#include "tensor/ops/compute.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>

namespace weft::bench {

using ops::Compute;

// Machine-wide busy seconds (all CPUs) and this process's CPU seconds.
struct CpuSample {
    double busy = 0, own = 0, wall = 0;
    static CpuSample now() {
        CpuSample s;
        std::ifstream f("/proc/stat");
        std::string cpu;
        long long v[10] = {};
        f >> cpu;
        for (auto& x : v) f >> x;
        const double hz = double(sysconf(_SC_CLK_TCK));
        s.busy = double(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;  // user nice system irq softirq steal
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        s.own = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
        s.wall = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
        return s;
    }
};

struct Timing {
    double best = 0, foreign = 0;
};

inline double g_min_time = 0.5;

inline Timing time_it(const std::function<void()>& f) {
    f();  // warm-up: primitive creation, page faults
    const CpuSample a = CpuSample::now();
    double best = 1e30, total = 0;
    int reps = 0;
    while (reps < 3 || (total < g_min_time && reps < 50)) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = std::min(best, s);
        total += s;
        ++reps;
    }
    const CpuSample b = CpuSample::now();
    const double wall = b.wall - a.wall;
    return {best, std::max(0.0, ((b.busy - a.busy) - (b.own - a.own)) / wall)};
}

// The oneDNN kernel alone: plain src of the compute dtype, weights pre-packed, f32 dst.
class GemmPeak {
public:
    GemmPeak(int64_t M, int64_t N, int64_t K, Compute mode) : flop_(2.0 * double(M) * double(N) * double(K)) {
        using namespace dnnl;
        const auto dt = mode == Compute::BF16 ? memory::data_type::bf16 : memory::data_type::f32;
        memory::desc a({M, K}, dt, memory::format_tag::ab), b({K, N}, dt, memory::format_tag::any),
            c({M, N}, memory::data_type::f32, memory::format_tag::ab);
        matmul::primitive_desc pd(matmul::desc(a, b, c), eng_);
        A_ = memory(pd.src_desc(), eng_);
        B_ = memory(pd.weights_desc(), eng_);
        C_ = memory(pd.dst_desc(), eng_);
        std::memset(A_.get_data_handle(), 0, pd.src_desc().get_size());
        std::memset(B_.get_data_handle(), 0, pd.weights_desc().get_size());
        prim_ = matmul(pd);
    }
    /// GFLOP/s, best of calls spanning about `seconds`.
    double measure(double seconds, double* foreign = nullptr) {
        const double saved = g_min_time;
        g_min_time = seconds;
        Timing t = time_it([&] {
            prim_.execute(st_, {{DNNL_ARG_SRC, A_}, {DNNL_ARG_WEIGHTS, B_}, {DNNL_ARG_DST, C_}});
            st_.wait();
        });
        g_min_time = saved;
        if (foreign) *foreign = t.foreign;
        return flop_ / t.best / 1e9;
    }

private:
    double flop_;
    dnnl::engine eng_{dnnl::engine::kind::cpu, 0};
    dnnl::stream st_{eng_};
    dnnl::memory A_, B_, C_;
    dnnl::matmul prim_;
};

}  // namespace weft::bench
