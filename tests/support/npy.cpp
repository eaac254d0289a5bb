#include "npy.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace weft::testing {

Tensor load_npy(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path.string());
    const std::vector<char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (b.size() < 10 || std::memcmp(b.data(), "\x93NUMPY", 6) != 0) throw std::runtime_error("not an npy file: " + path.string());
    const int major = static_cast<unsigned char>(b[6]);
    size_t header_len = 0, off = 0;
    if (major == 1) {
        header_len = static_cast<unsigned char>(b[8]) | static_cast<unsigned char>(b[9]) << 8;
        off = 10;
    } else {
        header_len = 0;
        for (int i = 0; i < 4; ++i) header_len |= size_t(static_cast<unsigned char>(b[8 + size_t(i)])) << (8 * i);
        off = 12;
    }
    const std::string header(b.data() + off, header_len);
    auto field = [&](const std::string& key) {
        const size_t k = header.find("'" + key + "'");
        if (k == std::string::npos) throw std::runtime_error("npy header without " + key + ": " + path.string());
        return header.substr(header.find(':', k) + 1);
    };
    const std::string descr = field("descr");
    if (field("fortran_order").find("False") > 2) throw std::runtime_error("fortran-order npy: " + path.string());
    const std::string shape_text = field("shape");
    Shape shape;
    {
        const size_t open = shape_text.find('('), close = shape_text.find(')');
        std::string inner = shape_text.substr(open + 1, close - open - 1);
        size_t pos = 0;
        while (pos < inner.size()) {
            const size_t comma = inner.find(',', pos);
            const std::string item = inner.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
            if (item.find_first_of("0123456789") != std::string::npos) shape.push_back(std::stoll(item));
            if (comma == std::string::npos) break;
            pos = comma + 1;
        }
    }
    const char* data = b.data() + off + header_len;
    const int64_t n = shape_numel(shape);
    std::vector<float> v(static_cast<size_t>(n));
    auto read = [&](auto tag) {
        using T = decltype(tag);
        if (b.size() < off + header_len + sizeof(T) * size_t(n)) throw std::runtime_error("truncated npy: " + path.string());
        for (int64_t i = 0; i < n; ++i) {
            T x;
            std::memcpy(&x, data + sizeof(T) * size_t(i), sizeof(T));
            v[size_t(i)] = static_cast<float>(x);
        }
    };
    if (descr.find("<f4") != std::string::npos) read(float{});
    else if (descr.find("<f8") != std::string::npos) read(double{});
    else if (descr.find("<i8") != std::string::npos) read(int64_t{});
    else if (descr.find("<i4") != std::string::npos) read(int32_t{});
    else throw std::runtime_error("unsupported npy dtype " + descr + ": " + path.string());
    return Tensor::from_vector(shape, v);
}

}  // namespace weft::testing
