// sampling/sampler_registry.cpp — sampler names to implementations.
#include "sampling/sampler.h"

#include <weft/error.h>

#include <utility>

namespace weft::models {

namespace {

const std::vector<std::pair<std::string, SamplerFn>>& table() {
    // ddim is Euler over the chosen schedule (ComfyUI only changes its inpaint re-noise source);
    // the _gpu SDE twins use the same CPU Brownian tree here (their outputs matched on the CPU).
    static const std::vector<std::pair<std::string, SamplerFn>> t{
        {"euler", sample_euler},
        {"euler_cfg_pp", sample_euler_cfg_pp},
        {"euler_ancestral", sample_euler_ancestral},
        {"euler_ancestral_cfg_pp", sample_euler_ancestral_cfg_pp},
        {"heun", sample_heun},
        {"heunpp2", sample_heunpp2},
        {"exp_heun_2_x0", sample_exp_heun_2_x0},
        {"exp_heun_2_x0_sde", sample_exp_heun_2_x0_sde},
        {"dpm_2", sample_dpm_2},
        {"dpm_2_ancestral", sample_dpm_2_ancestral},
        {"lms", sample_lms},
        {"dpm_fast", sample_dpm_fast},
        {"dpm_adaptive", sample_dpm_adaptive},
        {"dpmpp_2s_ancestral", sample_dpmpp_2s_ancestral},
        {"dpmpp_2s_ancestral_cfg_pp", sample_dpmpp_2s_ancestral_cfg_pp},
        {"dpmpp_sde", sample_dpmpp_sde},
        {"dpmpp_sde_gpu", sample_dpmpp_sde},
        {"dpmpp_2m", sample_dpmpp_2m},
        {"dpmpp_2m_cfg_pp", sample_dpmpp_2m_cfg_pp},
        {"dpmpp_2m_sde", sample_dpmpp_2m_sde},
        {"dpmpp_2m_sde_gpu", sample_dpmpp_2m_sde},
        {"dpmpp_2m_sde_heun", sample_dpmpp_2m_sde_heun},
        {"dpmpp_2m_sde_heun_gpu", sample_dpmpp_2m_sde_heun},
        {"dpmpp_3m_sde", sample_dpmpp_3m_sde},
        {"dpmpp_3m_sde_gpu", sample_dpmpp_3m_sde},
        {"ddpm", sample_ddpm},
        {"lcm", sample_lcm},
        {"ipndm", sample_ipndm},
        {"ipndm_v", sample_ipndm_v},
        {"deis", sample_deis},
        {"res_multistep", sample_res_multistep},
        {"res_multistep_cfg_pp", sample_res_multistep_cfg_pp},
        {"res_multistep_ancestral", sample_res_multistep_ancestral},
        {"res_multistep_ancestral_cfg_pp", sample_res_multistep_ancestral_cfg_pp},
        {"gradient_estimation", sample_gradient_estimation},
        {"gradient_estimation_cfg_pp", sample_gradient_estimation_cfg_pp},
        {"er_sde", sample_er_sde},
        {"seeds_2", sample_seeds_2},
        {"seeds_3", sample_seeds_3},
        {"sa_solver", sample_sa_solver},
        {"sa_solver_pece", sample_sa_solver_pece},
        {"ddim", sample_euler},
        {"uni_pc", sample_uni_pc},
        {"uni_pc_bh2", sample_uni_pc_bh2},
    };
    return t;
}

}  // namespace

const std::vector<std::string>& sampler_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (const auto& [name, fn] : table()) v.push_back(name);
        return v;
    }();
    return names;
}

bool has_sampler(std::string_view name) {
    for (const auto& [n, fn] : table())
        if (n == name) return true;
    return false;
}

bool sampler_needs_uncond(std::string_view name) { return name.ends_with("_cfg_pp"); }

Tensor sample(std::string_view name, const Denoiser& denoiser, Tensor x, const Sigmas& sigmas,
              const SamplerContext& ctx) {
    for (const auto& [n, fn] : table())
        if (n == name) return fn(denoiser, std::move(x), sigmas, ctx);
    throw Error("value_not_in_list", "sampler '" + std::string(name) + "' is not available");
}

}  // namespace weft::models
