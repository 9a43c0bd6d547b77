/// @file
/// Properties of the endpoint description grammar: any string, quoted with
/// quoteStringArgument, comes back unchanged from parseEndpointDescription, as a positional
/// argument or as a keyword value.  Twisted: twisted/internet/test/test_endpoints.py
/// (test_quoteStringArgument), generalised.
#include "tw/endpoints.hpp"

#include <rapidcheck.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace {

/// Strings rich in the grammar's special characters.
rc::Gen<std::string> trickyString() {
  return rc::gen::oneOf(
      rc::gen::container<std::string>(rc::gen::element(':', '=', '\\', 'a', ' ', '\0', 'z')),
      rc::gen::arbitrary<std::string>());
}

// quote → parse is the identity, whatever the argument holds and wherever it goes.
RC_GTEST_PROP(EndpointsPropertyTests, quotedArgumentsRoundTrip, ()) {
  const std::string positional = *trickyString();
  const std::string value = *trickyString();
  const std::string description = "type:" + tw::quoteStringArgument(positional) +
                                  ":key=" + tw::quoteStringArgument(value) + ":" +
                                  tw::quoteStringArgument(positional);
  const tw::EndpointDescription d = tw::parseEndpointDescription(description);
  RC_ASSERT(d.args == (std::vector<std::string>{"type", positional, positional}));
  RC_ASSERT(d.kwargs.size() == 1u);
  RC_ASSERT(d.kwargs.at("key") == value);
}

// Joining quoted arguments with ':' gives back exactly those arguments, in order.
RC_GTEST_PROP(EndpointsPropertyTests, quotedListsSplitBackIntoTheirParts, ()) {
  const auto parts =
      *rc::gen::nonEmpty(rc::gen::container<std::vector<std::string>>(trickyString()));
  std::string description;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) description += ':';
    description += tw::quoteStringArgument(parts[i]);
  }
  RC_ASSERT(tw::parseEndpointDescription(description).args == parts);
}

}  // namespace
