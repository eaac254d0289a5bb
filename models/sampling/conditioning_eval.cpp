#include "models/sampling/conditioning_eval.h"

#include "tensor/ops/ops.h"

namespace weft::models {

Tensor predict_conditioned(const ConditionedModel& model, const Tensor& x_in, float timestep, const Conditioning& cond) {
    const int64_t b = x_in.size(0);
    Tensor t = Tensor::full({b}, timestep);
    Tensor sum;
    double total = 0;
    for (const ConditioningItem& item : cond) {
        double strength = 1.0;
        if (item.extras)
            if (auto it = item.extras->find("strength"); it != item.extras->end() && it->second.is_number()) strength = it->second.as_float();
        Tensor context = item.embedding;
        if (context.size(0) != b) {
            std::vector<Tensor> copies(static_cast<size_t>(b), context.slice(0, 0, 1));
            context = ops::concat(copies, 0);
        }
        Tensor out = model.unet.forward(x_in, t, context);
        if (strength != 1.0) out = ops::mul(out, static_cast<float>(strength));
        sum = sum.defined() ? ops::add(sum, out) : out;
        total += strength;
    }
    return total == 1.0 ? sum : ops::div(sum, static_cast<float>(total));
}

}  // namespace weft::models
