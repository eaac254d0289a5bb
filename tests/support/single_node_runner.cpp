#include "single_node_runner.h"

#include <atomic>
#include <map>
#include <mutex>
#include <sstream>

namespace weft::testing {

namespace {

// Values handed to source nodes, by key.
std::mutex g_mu;
std::map<std::string, Value> g_values;
std::atomic<uint64_t> g_next{0};

// Marks a Value as "feed as a list".
struct ListFeed {
    List items;
};

Value stored(const std::string& key) {
    std::lock_guard lock(g_mu);
    auto it = g_values.find(key);
    if (it == g_values.end()) throw Error(ErrorCode::InvalidInput, "no test value " + key);
    return it->second;
}

std::string store(Value v) {
    const std::string key = "v" + std::to_string(g_next++);
    std::lock_guard lock(g_mu);
    g_values[key] = std::move(v);
    return key;
}

constexpr int kSinkInputs = 8;

std::shared_ptr<NodeRegistry> runner_registry() {
    auto reg = builtin_registry();
    {
        NodeDefinition d{NodeSchema("TestValueSource").required(Input::string("key")).output("*")};
        d.execute = [](NodeContext& ctx) { ctx.set_output(0, stored(ctx.get_string("key"))); };
        reg->add(std::move(d));
    }
    {
        NodeDefinition d{NodeSchema("TestListSource").required(Input::string("key")).output("*", "list", true)};
        d.execute = [](NodeContext& ctx) {
            const Value v = stored(ctx.get_string("key"));
            ctx.set_output_list(0, v.as_object<ListFeed>()->items);
        };
        reg->add(std::move(d));
    }
    {
        NodeSchema s("TestSink");
        for (int i = 0; i < kSinkInputs; ++i) s.optional(Input::type_of("in" + std::to_string(i), "*"));
        s.output_node().input_is_list();
        NodeDefinition d{s};
        d.execute = [](NodeContext&) {};
        reg->add(std::move(d));
    }
    return reg;
}

}  // namespace

Value SingleNodeRunner::list(List items) {
    return Value::object(std::make_shared<const ListFeed>(ListFeed{std::move(items)}), "TEST_LIST");
}

SingleNodeRunner::SingleNodeRunner(SessionOptions options) : registry_(runner_registry()), session_(registry_, std::move(options)) {}

NodeRun SingleNodeRunner::run(const std::string& class_type, const std::vector<std::pair<std::string, Value>>& inputs,
                        RunOptions options) {
    Workflow wf;
    wf.add("n", class_type);  // found again below: adding nodes may move it
    int sources = 0;
    std::vector<std::pair<std::string, std::string>> links;  // input -> source id
    for (const auto& [name, v] : inputs) {
        const bool constant = v.is_null() || v.is_bool() || v.is_int() || v.is_float() || v.is_string();
        if (constant) {
            wf.find("n")->set(name, v);
            continue;
        }
        const bool is_list = v.is_object() && v.as_object_ref().type == typeid(ListFeed);
        const std::string id = "src" + std::to_string(sources++);
        links.emplace_back(name, id);
        wf.add(id, is_list ? "TestListSource" : "TestValueSource").set("key", store(v));
    }
    for (const auto& [name, id] : links) wf.find("n")->link(name, id, 0);
    const NodeDefinition* def = registry_->find(class_type);
    const size_t outputs = def ? def->schema.outputs().size() : 0;
    if (outputs > 0) {
        WorkflowNode& sink = wf.add("sink", "TestSink");
        for (size_t i = 0; i < outputs && i < kSinkInputs; ++i) sink.link("in" + std::to_string(i), "n", int(i));
    }
    options.capture.push_back("n");
    NodeRun r{session_.run(wf, options)};
    return r;
}

std::string NodeRun::error_text() const {
    std::ostringstream os;
    os << run_status_name(result.status) << ": ";
    if (result.validation.error) os << result.validation.error->type << " " << result.validation.error->message << "; ";
    for (const auto& [id, ne] : result.validation.node_errors)
        for (const ErrorInfo& e : ne.errors) os << "[" << id << "] " << e.type << " " << e.message << " " << e.details << "; ";
    if (result.error) os << result.error->exception_type << ": " << result.error->exception_message;
    return os.str();
}

size_t NodeRun::count(size_t slot) const {
    auto it = result.outputs.find("n");
    if (it == result.outputs.end() || slot >= it->second.size()) return 0;
    return it->second[slot].size();
}

}  // namespace weft::testing
