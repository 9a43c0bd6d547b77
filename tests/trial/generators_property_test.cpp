/// @file
/// Properties of the shipped generators: chunkings concatenate back to their input, have no
/// empty piece, and shrink towards fewer splits.
#include "tw/trial/generators.hpp"

#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace {

std::string joined(const std::vector<std::string>& pieces) {
  return std::accumulate(pieces.begin(), pieces.end(), std::string());
}

// Every chunking concatenates to the input, with no empty piece.
RC_GTEST_PROP(GeneratorsPropertyTests, chunkingsConcatenateToTheInput, ()) {
  const auto data = *rc::gen::arbitrary<std::string>();
  const auto pieces = *tw::trial::chunkings(data);
  RC_ASSERT(joined(pieces) == data);
  if (!data.empty()) {
    for (const auto& p : pieces) RC_ASSERT(!p.empty());
  }
}

// Each shrink of a chunking is a chunking of the same input with no more pieces, and the
// shrinks reach the single piece.
TEST(GeneratorsPropertyTests, chunkingsShrinkTowardsFewerSplits) {
  const std::string data = "0123456789abcdefghij";
  auto shrinkable = tw::trial::chunkings(data)(rc::Random(7), 50);
  const auto original = shrinkable.value();
  bool reachedOnePiece = original.size() == 1;
  auto shrinks = shrinkable.shrinks();
  while (auto next = shrinks.next()) {
    const auto candidate = next->value();
    EXPECT_EQ(joined(candidate), data);
    EXPECT_LE(candidate.size(), original.size());
    if (candidate.size() == 1) reachedOnePiece = true;
  }
  EXPECT_TRUE(reachedOnePiece);
}

// splitAt ignores positions out of range and duplicates.
TEST(GeneratorsPropertyTests, splitAtIgnoresBadPositions) {
  EXPECT_EQ(tw::trial::splitAt("abcd", {0, 2, 2, 4, 9}), (std::vector<std::string>{"ab", "cd"}));
  EXPECT_EQ(tw::trial::splitAt("", {1}), std::vector<std::string>{""});
}

}  // namespace
