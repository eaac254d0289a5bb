// sampling/catalog_lookup.h — the name lookups the sampler and scheduler catalogs share (internal):
// a row is any struct with a `std::string_view name`.
#pragma once

#include <weft/error.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weft::models::detail {

/// The rows' names, in their order (a node's combo list).
template <class Row>
std::vector<std::string> row_names(std::span<const Row> rows) {
    std::vector<std::string> v;
    v.reserve(rows.size());
    for (const Row& r : rows) v.emplace_back(r.name);
    return v;
}

/// The row named `name`, or null.
template <class Row>
const Row* find_row(std::span<const Row> rows, std::string_view name) {
    for (const Row& r : rows)
        if (r.name == name) return &r;
    return nullptr;
}

/// The row named `name`; throws weft::Error (value_not_in_list) naming `what` ("sampler") otherwise.
template <class Row>
const Row& named_row(std::span<const Row> rows, std::string_view name, const char* what) {
    if (const Row* r = find_row(rows, name)) return *r;
    throw Error(ErrorCode::ValueNotInList, std::string(what) + " '" + std::string(name) + "' is not in the list of " + what + "s");
}

}  // namespace weft::models::detail
