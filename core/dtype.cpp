// core/dtype.cpp — element sizes and the safetensors names of each DType.
#include <weft/error.h>
#include <weft/tensor.h>

#include <array>
#include <string_view>

namespace weft {

namespace {

struct DTypeInfo {
    DType type;
    const char* name;
    size_t size;
};

constexpr std::array<DTypeInfo, 12> kInfo{{
    {DType::F32, "F32", 4},     {DType::F16, "F16", 2},         {DType::BF16, "BF16", 2},
    {DType::F64, "F64", 8},     {DType::I64, "I64", 8},         {DType::I32, "I32", 4},
    {DType::I16, "I16", 2},     {DType::I8, "I8", 1},           {DType::U8, "U8", 1},
    {DType::BOOL, "BOOL", 1},   {DType::F8_E4M3, "F8_E4M3", 1}, {DType::F8_E5M2, "F8_E5M2", 1},
}};

const DTypeInfo& info(DType t) {
    const auto i = static_cast<size_t>(t);
    if (i >= kInfo.size() || kInfo[i].type != t)
        throw Error(ErrorCode::TensorError, "invalid dtype value " + std::to_string(i));
    return kInfo[i];
}

}  // namespace

size_t dtype_size(DType t) { return info(t).size; }

const char* dtype_name(DType t) { return info(t).name; }

DType dtype_from_name(const std::string& name) {
    for (const auto& d : kInfo)
        if (name == d.name) return d.type;
    throw Error(ErrorCode::TensorError, "unknown dtype \"" + name + "\"");
}

}  // namespace weft
