// One node task: lazy check, list mapping, calls, and the errors they raise.
#include "runtime/node_task.h"

#include "core/resource_scope.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>

namespace weft::runtime {

namespace {

/// Lazy inputs the node asks for that are linked but not available yet.
std::vector<std::string> lazy_requests(const RunContext& run, const GraphNode& g, const NodeDefinition& def, const NodeInputs& inputs,
                                       size_t calls) {
    bool has_lazy_link = false;
    for (const Input& in : def.schema.inputs())
        if (in.lazy && inputs.is_linked(in.name)) has_lazy_link = true;
    if (!has_lazy_link) return {};
    std::vector<std::string> wanted;
    if (def.check_lazy) {
        for (size_t i = 0; i < calls; ++i) {
            NodeCall ctx(run, g, def, inputs, i, nullptr);
            for (std::string& name : def.check_lazy(ctx)) wanted.push_back(std::move(name));
        }
    } else {
        for (const Input& in : def.schema.inputs())
            if (in.lazy) wanted.push_back(in.name);
    }
    std::vector<std::string> missing;
    for (const std::string& name : wanted)
        if (inputs.is_linked(name) && !inputs.find(name) && std::find(missing.begin(), missing.end(), name) == missing.end())
            missing.push_back(name);
    return missing;
}

/// The blocker among the inputs of call `index` (all items for whole-list calls).
std::optional<Blocker> blocked_by(const NodeInputs& inputs, std::optional<size_t> index) {
    for (const auto& [name, list] : inputs.values) {
        if (list.empty()) continue;
        if (index) {
            const Value& v = list[std::min(*index, list.size() - 1)];
            if (v.is_blocker()) return v.as_blocker();
        } else {
            for (const Value& v : list)
                if (v.is_blocker()) return v.as_blocker();
        }
    }
    return std::nullopt;
}

}  // namespace

ExecutionError make_execution_error(const GraphNode& g, const NodeInputs* inputs, std::string type, std::string message) {
    ExecutionError e;
    e.node_id = g.display_id;
    e.display_node_id = g.display_id;
    e.node_type = g.node.class_type;
    e.exception_type = std::move(type);
    e.exception_message = std::move(message);
    if (inputs) e.current_inputs = describe_inputs(*inputs);
    return e;
}

ExecutionError node_error(const GraphNode& g, const NodeInputs* inputs, const Error& e) {
    std::string message = e.what();
    if (e.node_id().empty()) message = Error(e).at_node(g.node.id).what();  // as if the body had said at_node(ctx.node_id())
    return make_execution_error(g, inputs, "weft::Error(" + e.type() + ")", std::move(message));
}

TaskResult run_node_task(const RunContext& run, uint32_t n, const GraphNode& g, const NodeDefinition& def, const NodeInputs& inputs) {
    using Clock = std::chrono::steady_clock;
    TaskResult r;
    r.node = n;
    auto start = Clock::now();
    ResourceScope scope(*run.resources);  // ops allocate from the Session's buffer pool
    try {
        const bool list_mode = def.schema.is_input_list();
        const size_t calls = list_mode ? 1 : inputs.call_count();
        if (auto requests = lazy_requests(run, g, def, inputs, calls); !requests.empty()) {
            r.kind = TaskResult::Kind::NeedLazy;
            r.lazy_requests = std::move(requests);
            return r;
        }
        r.calls.resize(calls);
        for (size_t i = 0; i < calls; ++i) {
            if (auto blocker = blocked_by(inputs, list_mode ? std::nullopt : std::optional<size_t>(i))) {
                r.calls[i].blocked = *blocker;
                continue;
            }
            if (run.cancel && run.cancel->is_cancelled()) throw Cancelled();
            NodeCall ctx(run, g, def, inputs, i, &r.calls[i]);
            def.execute(ctx);
        }
    } catch (const Cancelled&) {
        r.kind = TaskResult::Kind::Cancelled;
    } catch (const Error& e) {
        r.kind = TaskResult::Kind::Failed;
        r.error = node_error(g, &inputs, e);
    } catch (const std::exception& e) {
        r.kind = TaskResult::Kind::Failed;
        r.error = make_execution_error(g, &inputs, "std::exception", e.what());
    } catch (...) {
        r.kind = TaskResult::Kind::Failed;
        r.error = make_execution_error(g, &inputs, "unknown", "a node threw something that is not an exception");
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return r;
}

}  // namespace weft::runtime
