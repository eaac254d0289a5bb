// JSON text -> ordered_json through nlohmann's SAX interface (see json_text.h).
#include "graph/json_text.h"

#include <unordered_map>
#include <vector>

namespace weft::graph {

namespace {

using J = nlohmann::ordered_json;

// Objects up to this size find a repeated key by scanning; bigger ones get a hash index.
constexpr size_t kScanMembers = 16;

class TreeBuilder {
public:
    J root;

    bool null() { return put(J(nullptr)); }
    bool boolean(bool v) { return put(J(v)); }
    bool number_integer(J::number_integer_t v) { return put(J(v)); }
    bool number_unsigned(J::number_unsigned_t v) { return put(J(v)); }
    bool number_float(J::number_float_t v, const J::string_t&) { return put(J(v)); }
    bool string(J::string_t& v) { return put(J(std::move(v))); }
    bool binary(J::binary_t& v) { return put(J::binary(std::move(v))); }
    bool start_object(std::size_t) { return open(J::object()); }
    bool start_array(std::size_t) { return open(J::array()); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }

    bool key(J::string_t& k) {
        Open& o = open_.back();
        J::object_t& members = o.value->get_ref<J::object_t&>();
        const size_t h = std::hash<std::string_view>()(k);
        if (members.size() < kScanMembers) {
            for (auto& m : members)
                if (m.first == k) return member(&m.second);
        } else {
            if (o.index.empty())
                for (size_t i = 0; i < members.size(); ++i) o.index.emplace(std::hash<std::string_view>()((members.begin() + static_cast<std::ptrdiff_t>(i))->first), i);
            for (auto [it, end] = o.index.equal_range(h); it != end; ++it) {
                auto m = members.begin() + static_cast<std::ptrdiff_t>(it->second);
                if (m->first == k) return member(&m->second);
            }
            o.index.emplace(h, members.size());
        }
        members.emplace_back(std::move(k), nullptr);
        return member(&members.back().second);
    }

    template <class Exception>
    bool parse_error(std::size_t, const std::string&, const Exception& ex) {
        throw ex;
    }

private:
    struct Open {
        J* value;
        std::unordered_multimap<size_t, size_t> index;  // key hash -> member position (big objects)
    };

    bool member(J* slot) {
        slot_ = slot;
        return true;
    }

    // Stores a finished value where it goes: the root, the next array item or the pending member.
    J* place(J&& v) {
        if (open_.empty()) {
            root = std::move(v);
            return &root;
        }
        J& top = *open_.back().value;
        if (top.is_array()) {
            J::array_t& items = top.get_ref<J::array_t&>();
            items.push_back(std::move(v));
            return &items.back();
        }
        *slot_ = std::move(v);
        return slot_;
    }

    bool put(J&& v) {
        place(std::move(v));
        return true;
    }

    bool open(J&& v) {
        // The parent does not grow while this value is open, so the pointer stays valid.
        open_.push_back(Open{place(std::move(v)), {}});
        return true;
    }

    bool close() {
        open_.pop_back();
        return true;
    }

    std::vector<Open> open_;
    J* slot_ = nullptr;
};

}  // namespace

J parse_ordered_json(std::string_view text) {
    TreeBuilder b;
    J::sax_parse(text.begin(), text.end(), &b);
    return std::move(b.root);
}

}  // namespace weft::graph
