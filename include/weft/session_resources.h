// include/weft/session_resources.h — memory a Session keeps for the code its nodes run: reusable
// op buffers, loaded tokenizers, remembered file hashes. Each resource is an object of its own
// type, made on first use. Session::clear_cache() drops them all; two Sessions never share one.
//
//   weft::SessionResources resources;              // a Session owns one; nodes reach it through
//   auto memo = resources.get<MyMemo>();            // the executor's scope (core/resource_scope.h)
//
// Code that runs outside a Session's node calls (tests, benchmarks, tools) uses the process-wide
// resources (SessionResources::process()).
//
// Thread safety: get() and clear() may be called from any thread; node calls run in parallel, so
// a resource must be thread-safe itself.
#pragma once

#include <memory>
#include <mutex>
#include <typeindex>
#include <unordered_map>

namespace weft {

class SessionResources {
public:
    SessionResources() = default;
    SessionResources(const SessionResources&) = delete;
    SessionResources& operator=(const SessionResources&) = delete;

    /// The resource of type T (default-constructed on first use). A holder keeps it alive after
    /// clear(); the next get() then makes a fresh one.
    template <class T> std::shared_ptr<T> get() {
        return std::static_pointer_cast<T>(get(typeid(T), [] { return std::static_pointer_cast<void>(std::make_shared<T>()); }));
    }
    /// Drops every resource.
    void clear();

    /// The resources of code that runs outside any Session (never cleared by a Session).
    static SessionResources& process();

private:
    std::shared_ptr<void> get(std::type_index type, std::shared_ptr<void> (*make)());

    std::mutex mutex_;
    std::unordered_map<std::type_index, std::shared_ptr<void>> items_;
};

}  // namespace weft
