/// @file
/// RapidCheck generators for users' own properties: chunkings of a byte string (feed a
/// protocol the same bytes in any split).  Twisted: none (Hypothesis users write these by hand).
/// Tests: tests/trial/generators_property_test.cpp
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace tw::trial {

/// Splits `data` at the given positions (sorted and deduplicated; positions outside 1..size-1
/// are ignored): the pieces, in order, concatenate to `data`; none is empty unless `data` is.
std::vector<std::string> splitAt(const std::string& data, std::vector<std::size_t> positions);

/// Every way of cutting `data` into non-empty pieces, from one piece to one byte per piece.
///
/// Shrinking removes split points (and moves the rest towards the start), so a failing case
/// shrinks to the fewest splits that still fail: usually one.
///
/// @code
/// RC_GTEST_PROP(MyProtocolProperty, anySplitGivesTheSameLines, ()) {
///   const std::string input = "add 1 2\r\nadd 3 4\r\n";
///   auto pieces = *tw::trial::chunkings(input);
///   MyProtocol p; tw::fakes::StringTransport t; p.makeConnection(t);
///   for (const auto& piece : pieces) p.dataReceived(piece);
///   RC_ASSERT(t.value() == "3\r\n7\r\n");
/// }
/// @endcode
inline rc::Gen<std::vector<std::string>> chunkings(std::string data) {
  if (data.size() < 2) return rc::gen::just(std::vector<std::string>{data});
  const std::size_t size = data.size();
  return rc::gen::map(
      rc::gen::container<std::vector<std::size_t>>(rc::gen::inRange<std::size_t>(1, size)),
      [data = std::move(data)](std::vector<std::size_t> positions) {
        return splitAt(data, std::move(positions));
      });
}

}  // namespace tw::trial
