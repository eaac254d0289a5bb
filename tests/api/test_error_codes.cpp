// weft::ErrorCode: a closed set whose JSON names are ComfyUI's, and Cancelled as an Error.
#include <weft/error.h>

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace {

using weft::ErrorCode;

TEST(ErrorCodes, EveryCodeHasOneNameThatReadsBack) {
    std::set<std::string> names;
    for (int i = 0; i <= int(ErrorCode::Interrupted); ++i) {
        const auto code = ErrorCode(i);
        const std::string name = weft::error_code_name(code);
        EXPECT_FALSE(name.empty());
        EXPECT_TRUE(names.insert(name).second) << "two codes named " << name;
        ASSERT_TRUE(weft::error_code_from_name(name).has_value()) << name;
        EXPECT_EQ(*weft::error_code_from_name(name), code) << name;
    }
    EXPECT_FALSE(weft::error_code_from_name("tensor_op").has_value()) << "synonyms are gone";
    EXPECT_FALSE(weft::error_code_from_name("model_file_error").has_value());
}

TEST(ErrorCodes, ComfyUIsValidationTypesKeepTheirNames) {
    EXPECT_STREQ(weft::error_code_name(ErrorCode::InvalidPrompt), "invalid_prompt");
    EXPECT_STREQ(weft::error_code_name(ErrorCode::RequiredInputMissing), "required_input_missing");
    EXPECT_STREQ(weft::error_code_name(ErrorCode::ValueNotInList), "value_not_in_list");
    EXPECT_STREQ(weft::error_code_name(ErrorCode::ValueBiggerThanMax), "value_bigger_than_max");
    EXPECT_STREQ(weft::error_code_name(ErrorCode::PromptOutputsFailedValidation), "prompt_outputs_failed_validation");
    EXPECT_STREQ(weft::error_code_name(ErrorCode::ReturnTypeMismatch), "return_type_mismatch");
}

TEST(ErrorCodes, AnErrorCarriesItsCodeAndTypeName) {
    const weft::Error e(ErrorCode::InvalidInputType, "expected an IMAGE");
    EXPECT_EQ(e.code(), ErrorCode::InvalidInputType);
    EXPECT_EQ(e.type(), "invalid_input_type");
    EXPECT_EQ(e.info().type, "invalid_input_type");
    EXPECT_NE(std::string(e.what()).find("expected an IMAGE"), std::string::npos);
}

TEST(ErrorCodes, CancelledIsAnErrorWithTheInterruptedCode) {
    try {
        throw weft::Cancelled();
    } catch (const weft::Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::Interrupted);
        EXPECT_EQ(e.type(), "interrupted");
        return;
    }
    FAIL() << "Cancelled was not caught as a weft::Error";
}

}  // namespace
