#include <weft/error.h>
#include <weft/precision.h>

#include <string>

namespace weft {

Precision parse_precision(std::string_view text) {
    if (text == "fp32" || text == "f32" || text == "float32") return Precision::F32;
    if (text == "bf16" || text == "bfloat16") return Precision::BF16;
    throw Error(ErrorCode::InvalidPrecision, "precision '" + std::string(text) + "' is not fp32 or bf16");
}

const char* precision_name(Precision p) { return p == Precision::BF16 ? "bf16" : "fp32"; }

}  // namespace weft
