/// @file
/// gMock matchers on Deferreds: `Succeeded(m)`, `FailedWith<E>()`, `HasNoResult()`.
/// Twisted: none (the assertions of twisted.trial._synctest, as matchers).
/// Tests: tests/trial/matchers_test.cpp
///
/// @code
/// EXPECT_THAT(d, tw::trial::Succeeded(42));
/// EXPECT_THAT(d, tw::trial::Succeeded(testing::HasSubstr("ok")));
/// EXPECT_THAT(d, tw::trial::FailedWith<tw::error::ConnectionLost>());
/// EXPECT_THAT(d, tw::trial::FailedWith<std::runtime_error>(testing::HasSubstr("boom")));
/// EXPECT_THAT(d, tw::trial::HasNoResult());
/// @endcode
///
/// `Succeeded` and `HasNoResult` only look at the Deferred.  `FailedWith`, when it matches,
/// consumes the failure (as failureResultOf does), so the expected failure is not reported as
/// an "Unhandled error in Deferred" afterwards; when it does not match, it leaves the Deferred
/// as it was.
#pragma once

#include <ostream>
#include <string>
#include <typeinfo>

#include <gmock/gmock.h>

#include "tw/deferred.hpp"
#include "tw/failure.hpp"

namespace tw::trial {

namespace detail {

template <class T>
void explainState(const Deferred<T>& d, ::testing::MatchResultListener* listener) {
  if (!d.hasResult()) {
    *listener << "which has no result yet";
  } else if (const Failure* f = d.failureResult()) {
    *listener << "which failed with " << f->typeName() << ": " << f->getErrorMessage()
              << " (entered the chain at " << f->where().file_name() << ":" << f->where().line()
              << ")";
  } else {
    *listener << "which succeeded";
  }
}

template <class Inner>
class SucceededMatcher {
 public:
  explicit SucceededMatcher(Inner inner) : inner_(std::move(inner)) {}

  template <class T>
  bool MatchAndExplain(const Deferred<T>& d, ::testing::MatchResultListener* listener) const {
    const auto* value = d.valueResult();
    if (value == nullptr) {
      explainState(d, listener);
      return false;
    }
    if constexpr (std::is_void_v<T>) {
      return true;
    } else {
      *listener << "which succeeded with " << ::testing::PrintToString(*value);
      ::testing::StringMatchResultListener inner;
      bool matched = ::testing::ExplainMatchResult(inner_, *value, &inner);
      if (!inner.str().empty()) *listener << ", " << inner.str();
      return matched;
    }
  }
  void DescribeTo(std::ostream* os) const {
    *os << "is a Deferred that succeeded with a value matching " << describe();
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "is not a Deferred that succeeded with a value matching " << describe();
  }

 private:
  std::string describe() const {
    if constexpr (
        requires(const Inner& m, std::ostream* os) { m.DescribeTo(os); } ||
        requires(const Inner& m) { m.impl(); }) {
      return "the given matcher";
    } else {
      return ::testing::PrintToString(inner_);
    }
  }
  Inner inner_;
};

template <class E, class MessageMatcher>
class FailedWithMatcher {
 public:
  explicit FailedWithMatcher(MessageMatcher message) : message_(std::move(message)) {}

  template <class T>
  bool MatchAndExplain(const Deferred<T>& d, ::testing::MatchResultListener* listener) const {
    const Failure* f = d.failureResult();
    if (f == nullptr) {
      explainState(d, listener);
      return false;
    }
    if (f->template check<E>() == nullptr) {
      explainState(d, listener);
      return false;
    }
    if (!::testing::ExplainMatchResult(message_, f->getErrorMessage(), listener)) {
      *listener << " (the failure's message: \"" << f->getErrorMessage() << "\")";
      return false;
    }
    // Matched: handle the failure, as failureResultOf does.
    Deferred<T> copy = d;
    copy.addCallbacks([](auto&&...) {}, [](Failure) {});
    return true;
  }
  void DescribeTo(std::ostream* os) const {
    *os << "is a Deferred that failed with " << demangle(typeid(E)) << " and a message that "
        << ::testing::DescribeMatcher<std::string>(message_);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "is not a Deferred that failed with " << demangle(typeid(E));
  }

 private:
  MessageMatcher message_;
};

class HasNoResultMatcher {
 public:
  template <class T>
  bool MatchAndExplain(const Deferred<T>& d, ::testing::MatchResultListener* listener) const {
    if (!d.hasResult()) return true;
    explainState(d, listener);
    return false;
  }
  void DescribeTo(std::ostream* os) const { *os << "is a Deferred with no result yet"; }
  void DescribeNegationTo(std::ostream* os) const { *os << "is a Deferred with a result"; }
};

}  // namespace detail

/// Matches a Deferred that holds a value matching `inner` (a value or a matcher).
template <class Inner>
auto Succeeded(Inner inner) {
  return ::testing::MakePolymorphicMatcher(detail::SucceededMatcher<Inner>(std::move(inner)));
}

/// Matches a Deferred that holds a value (any value; the only form for Deferred<void>).
inline auto Succeeded() { return Succeeded(::testing::_); }

/// Matches a Deferred that holds a failure of type `E` (or a subclass) whose message matches
/// `message` (any message by default).  A match consumes the failure (see the file comment).
template <class E, class MessageMatcher = decltype(::testing::_)>
auto FailedWith(MessageMatcher message = ::testing::_) {
  return ::testing::MakePolymorphicMatcher(
      detail::FailedWithMatcher<E, MessageMatcher>(std::move(message)));
}

/// Matches a Deferred that has not fired yet (or is paused or waiting on another).
inline auto HasNoResult() {
  return ::testing::MakePolymorphicMatcher(detail::HasNoResultMatcher());
}

}  // namespace tw::trial

namespace tw {
/// Prints a Deferred in GoogleTest messages as its repr().
template <class T>
void PrintTo(const Deferred<T>& d, std::ostream* os) {
  *os << d.repr();
}
}  // namespace tw
