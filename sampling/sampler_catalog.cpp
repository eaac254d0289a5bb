// sampling/sampler_catalog.cpp — the sampler rows.
#include "sampling/sampler_catalog.h"

#include "sampling/catalog_lookup.h"

#include <array>

namespace weft::models {

namespace {

constexpr StepNoise kNone = StepNoise::None, kGen = StepNoise::Generator, kTree = StepNoise::BrownianTree;
constexpr bool kUncond = true, kDiscard = true;

// ddim is Euler over the chosen schedule (ComfyUI only changes its inpaint re-noise source);
// the _gpu SDE twins use the same CPU Brownian tree here (their outputs matched on the CPU).
const std::array<SamplerInfo, 44> kSamplers{{
    {"euler", sample_euler, false, false, kNone},
    {"euler_cfg_pp", sample_euler_cfg_pp, kUncond, false, kNone},
    {"euler_ancestral", sample_euler_ancestral, false, false, kGen},
    {"euler_ancestral_cfg_pp", sample_euler_ancestral_cfg_pp, kUncond, false, kGen},
    {"heun", sample_heun, false, false, kNone},
    {"heunpp2", sample_heunpp2, false, false, kNone},
    {"exp_heun_2_x0", sample_exp_heun_2_x0, false, false, kNone},
    {"exp_heun_2_x0_sde", sample_exp_heun_2_x0_sde, false, false, kGen},
    {"dpm_2", sample_dpm_2, false, kDiscard, kNone},
    {"dpm_2_ancestral", sample_dpm_2_ancestral, false, kDiscard, kGen},
    {"lms", sample_lms, false, false, kNone},
    {"dpm_fast", sample_dpm_fast, false, false, kNone},
    {"dpm_adaptive", sample_dpm_adaptive, false, false, kNone},
    {"dpmpp_2s_ancestral", sample_dpmpp_2s_ancestral, false, false, kGen},
    {"dpmpp_2s_ancestral_cfg_pp", sample_dpmpp_2s_ancestral_cfg_pp, kUncond, false, kGen},
    {"dpmpp_sde", sample_dpmpp_sde, false, false, kTree},
    {"dpmpp_sde_gpu", sample_dpmpp_sde, false, false, kTree},
    {"dpmpp_2m", sample_dpmpp_2m, false, false, kNone},
    {"dpmpp_2m_cfg_pp", sample_dpmpp_2m_cfg_pp, kUncond, false, kNone},
    {"dpmpp_2m_sde", sample_dpmpp_2m_sde, false, false, kTree},
    {"dpmpp_2m_sde_gpu", sample_dpmpp_2m_sde, false, false, kTree},
    {"dpmpp_2m_sde_heun", sample_dpmpp_2m_sde_heun, false, false, kTree},
    {"dpmpp_2m_sde_heun_gpu", sample_dpmpp_2m_sde_heun, false, false, kTree},
    {"dpmpp_3m_sde", sample_dpmpp_3m_sde, false, false, kTree},
    {"dpmpp_3m_sde_gpu", sample_dpmpp_3m_sde, false, false, kTree},
    {"ddpm", sample_ddpm, false, false, kGen},
    {"lcm", sample_lcm, false, false, kGen},
    {"ipndm", sample_ipndm, false, false, kNone},
    {"ipndm_v", sample_ipndm_v, false, false, kNone},
    {"deis", sample_deis, false, false, kNone},
    {"res_multistep", sample_res_multistep, false, false, kNone},
    {"res_multistep_cfg_pp", sample_res_multistep_cfg_pp, kUncond, false, kNone},
    {"res_multistep_ancestral", sample_res_multistep_ancestral, false, false, kGen},
    {"res_multistep_ancestral_cfg_pp", sample_res_multistep_ancestral_cfg_pp, kUncond, false, kGen},
    {"gradient_estimation", sample_gradient_estimation, false, false, kNone},
    {"gradient_estimation_cfg_pp", sample_gradient_estimation_cfg_pp, kUncond, false, kNone},
    {"er_sde", sample_er_sde, false, false, kGen},
    {"seeds_2", sample_seeds_2, false, false, kGen},
    {"seeds_3", sample_seeds_3, false, false, kGen},
    {"sa_solver", sample_sa_solver, false, false, kGen},
    {"sa_solver_pece", sample_sa_solver_pece, false, false, kGen},
    {"ddim", sample_euler, false, false, kNone},
    {"uni_pc", sample_uni_pc, false, kDiscard, kNone},
    {"uni_pc_bh2", sample_uni_pc_bh2, false, kDiscard, kNone},
}};

}  // namespace

std::span<const SamplerInfo> sampler_catalog() { return kSamplers; }

const std::vector<std::string>& sampler_names() {
    static const std::vector<std::string> names = detail::row_names<SamplerInfo>(kSamplers);
    return names;
}

const SamplerInfo* find_sampler(std::string_view name) { return detail::find_row<SamplerInfo>(kSamplers, name); }

const SamplerInfo& sampler_named(std::string_view name) { return detail::named_row<SamplerInfo>(kSamplers, name, "sampler"); }

}  // namespace weft::models
