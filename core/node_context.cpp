// The typed shorthands of weft::NodeContext: one place that turns a kind mismatch into an error
// naming the node and the input.
#include <weft/node.h>

namespace weft {

namespace {
template <class F>
auto typed(const NodeContext& ctx, std::string_view name, const char* wanted, F&& get) -> decltype(get(ctx.input(name))) {
    const Value& v = ctx.input(name);
    try {
        return get(v);
    } catch (const Error&) {
        throw Error(ErrorCode::InvalidInputType, std::string("expected ") + wanted + ", got " + v.kind_name(), std::string(name))
            .at_node(ctx.node_id())
            .at_input(std::string(name));
    }
}
}  // namespace

int64_t NodeContext::get_int(std::string_view name) const {
    return typed(*this, name, "INT", [](const Value& v) { return v.as_int(); });
}
double NodeContext::get_float(std::string_view name) const {
    return typed(*this, name, "FLOAT", [](const Value& v) { return v.as_float(); });
}
bool NodeContext::get_bool(std::string_view name) const {
    return typed(*this, name, "BOOLEAN", [](const Value& v) { return v.as_bool(); });
}
const std::string& NodeContext::get_string(std::string_view name) const {
    return typed(*this, name, "STRING", [](const Value& v) -> const std::string& { return v.as_string(); });
}
const Tensor& NodeContext::get_tensor(std::string_view name) const {
    return typed(*this, name, "a tensor (IMAGE or MASK)", [](const Value& v) -> const Tensor& { return v.as_tensor(); });
}
const Latent& NodeContext::get_latent(std::string_view name) const {
    return typed(*this, name, "LATENT", [](const Value& v) -> const Latent& { return v.as_latent(); });
}

}  // namespace weft
