/// @file
/// The messages of the trial assertions.  Tests: tests/trial/assertions_test.cpp
#include "tw/trial/assertions.hpp"

namespace tw::trial::detail {

std::string at(const std::source_location& where) {
  return std::string("\n  (assertion at ") + where.file_name() + ":" +
         std::to_string(where.line()) + ")";
}

std::string describeFailure(const Failure& failure) {
  std::string text = failure.getTraceback();
  // Indent every line so the failure reads as a block inside the assertion's message.
  std::string out = "    ";
  for (char c : text) {
    out += c;
    if (c == '\n') out += "    ";
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n')) out.pop_back();
  return out;
}

}  // namespace tw::trial::detail
