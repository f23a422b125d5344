#pragma once
// expect_error: runs a bad input, checks the exact error type and the fragments its message must
// contain, and records the row (input, type, message) for the bad-input table. With
// TG_BAD_INPUT_TABLE=path, test_bad_input writes every recorded row there as a markdown table
// when it exits, so the table always shows the real messages.

#include <string>
#include <typeinfo>
#include <vector>

#include "../helpers.hpp"

namespace tgtest {

void record_bad_input(const std::string& input, const std::string& type, const std::string& msg);
std::string error_type_name(const tg::Error& e);

template <class E, class F>
void expect_error(const std::string& input, F&& f, const std::vector<std::string>& fragments) {
    INFO("bad input: " << input);
    try {
        f();
    } catch (const tg::Error& e) {
        const std::string msg = e.what();
        INFO("message: " << msg);
        INFO("type: " << error_type_name(e));
        CHECK(typeid(e) == typeid(E));
        for (const auto& frag : fragments) {
            INFO("missing: " << frag);
            CHECK(msg.find(frag) != std::string::npos);
        }
        record_bad_input(input, error_type_name(e), msg);
        return;
    } catch (const std::exception& e) {
        FAIL("threw a non-tapegrad exception: " << e.what());
    }
    FAIL("did not throw");
}

}  // namespace tgtest
