/// @file
/// The generators' helpers.  Tests: tests/trial/generators_property_test.cpp
#include "tw/trial/generators.hpp"

namespace tw::trial {

std::vector<std::string> splitAt(const std::string& data, std::vector<std::size_t> positions) {
  std::sort(positions.begin(), positions.end());
  positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
  std::vector<std::string> pieces;
  std::size_t start = 0;
  for (std::size_t p : positions) {
    if (p <= start || p >= data.size()) continue;
    pieces.push_back(data.substr(start, p - start));
    start = p;
  }
  pieces.push_back(data.substr(start));
  return pieces;
}

}  // namespace tw::trial
