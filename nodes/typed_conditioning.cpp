// nodes/typed_conditioning.cpp — CONDITIONING extras to typed entries.
#include "nodes/typed_conditioning.h"

#include <weft/error.h>

namespace weft::nodes {

namespace {

/// The extra `key` of `extras`, or null when absent or None.
const Value* extra(const Dict* extras, const char* key) {
    if (!extras) return nullptr;
    auto it = extras->find(key);
    return it == extras->end() || it->second.is_null() ? nullptr : &it->second;
}

double number_or(const Value* v, double fallback) { return v && v->is_number() ? v->as_float() : fallback; }
bool flag(const Value* v) { return v && v->is_bool() && v->as_bool(); }

models::CondArea parse_area(const Value& v) {
    if (!v.is_list()) throw Error(ErrorCode::InvalidInputType, "conditioning area must be a list, got " + v.kind_name());
    const List& l = v.as_list();
    models::CondArea a;
    if (l.size() == 5 && l[0].is_string() && l[0].as_string() == "percentage") {
        a.percentage = true;
        for (size_t i = 0; i < 4; ++i) a.hwyx[i] = l[i + 1].as_float();
        return a;
    }
    if (l.size() != 4) throw Error(ErrorCode::InvalidInputType, "conditioning area must hold [h, w, y, x]");
    for (size_t i = 0; i < 4; ++i) a.hwyx[i] = static_cast<double>(l[i].as_int());
    return a;
}

models::Cond parse_entry(const ConditioningItem& item) {
    const Dict* x = item.extras.get();
    models::Cond c;
    c.context = item.embedding;
    if (const Value* v = extra(x, "area")) c.area = parse_area(*v);
    c.strength = number_or(extra(x, "strength"), 1.0);
    if (const Value* v = extra(x, "mask")) {
        c.mask = v->as_tensor();
        c.mask_strength = number_or(extra(x, "mask_strength"), 1.0);
        c.set_area_to_bounds = flag(extra(x, "set_area_to_bounds"));
    }
    if (const Value* v = extra(x, "start_percent")) c.start_percent = number_or(v, 0.0);
    if (const Value* v = extra(x, "end_percent")) c.end_percent = number_or(v, 1.0);
    if (const Value* v = extra(x, "control")) c.control = v->as_object<models::ControlHook>();
    c.control_apply_to_uncond = flag(extra(x, "control_apply_to_uncond"));
    if (const Value* v = extra(x, "concat_latent_image")) c.concat_latent_image = v->as_tensor();
    if (const Value* v = extra(x, "concat_mask")) c.concat_mask = v->as_tensor();
    return c;
}

}  // namespace

models::CondList typed_conditioning(const Conditioning& c) {
    models::CondList out;
    out.reserve(c.size());
    for (const ConditioningItem& item : c) out.push_back(parse_entry(item));
    return out;
}

models::CondList conditioning_input(const NodeContext& ctx, std::string_view name) {
    const Conditioning& c = ctx.input(name).as_conditioning();
    try {
        return typed_conditioning(c);
    } catch (Error& e) {
        if (e.input_name().empty()) e.at_input(std::string(name));
        throw;
    }
}

}  // namespace weft::nodes
