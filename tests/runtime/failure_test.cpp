/// @file
/// Tests of Failure: type matching without rethrowing, trap, messages, printing.
/// Twisted: twisted/test/test_failure.py (FailureTests).
#include "tw/failure.hpp"

#include <exception>
#include <sstream>
#include <stdexcept>
#include <string>
#include <typeinfo>

#include <gtest/gtest.h>

namespace {

/// An exception type of this file, derived from std::exception through std::runtime_error.
class GenericError : public std::runtime_error {
 public:
  explicit GenericError(const std::string& what = "generic") : std::runtime_error(what) {}
};

/// Two unrelated bases, and a type deriving from both (its second base is at a non-zero offset).
struct FirstBase {
  virtual ~FirstBase() = default;
  int first = 1;
};
struct SecondBase {
  virtual ~SecondBase() = default;
  int second = 2;
};
struct Both : FirstBase, SecondBase {
  int own = 3;
};

/// A type with std::exception as an ambiguous base: a `catch (std::exception&)` does not catch it.
struct Ambiguous : std::runtime_error, std::logic_error {
  Ambiguous() : std::runtime_error("runtime side"), std::logic_error("logic side") {}
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

// check() returns the first of the given types the exception is, or derives from, in argument
// order; nullptr when none matches.
// Twisted: test_failure.FailureTests.test_failAndTrap
TEST(FailureTests, checkMatchesSubclassesInArgumentOrder) {
  tw::Failure f(std::out_of_range("test"));
  EXPECT_EQ(f.check<std::out_of_range>(), &typeid(std::out_of_range));
  EXPECT_EQ(f.check<std::logic_error>(), &typeid(std::logic_error));
  EXPECT_EQ(f.check<std::exception>(), &typeid(std::exception));
  EXPECT_EQ(f.check<std::runtime_error>(), nullptr);
  EXPECT_EQ(f.check<GenericError>(), nullptr);
  EXPECT_EQ((f.check<std::runtime_error, std::logic_error, std::out_of_range>()),
            &typeid(std::logic_error));
  EXPECT_EQ((f.check<std::runtime_error, GenericError>()), nullptr);
  EXPECT_EQ(f.type(), typeid(std::out_of_range));
}

// trap() returns the matching type, like check().
// Twisted: test_failure.FailureTests.test_failAndTrap
TEST(FailureTests, trapReturnsMatch) {
  tw::Failure f(std::invalid_argument("test"));
  EXPECT_EQ((f.trap<std::runtime_error, std::logic_error>()), typeid(std::logic_error));
  EXPECT_EQ(f.type(), typeid(std::invalid_argument));
}

// trap() rethrows the original exception object, not the Failure, when nothing matches.
// Twisted: test_failure.FailureTests.test_trapRaisesWrappedException
TEST(FailureTests, trapRaisesWrappedException) {
  tw::Failure f(std::invalid_argument("value"));
  const std::invalid_argument* original = f.value<std::invalid_argument>();
  ASSERT_NE(original, nullptr);
  const std::invalid_argument* untrapped = nullptr;
  try {
    f.trap<std::overflow_error>();
    ADD_FAILURE() << "trap did not throw";
  } catch (const std::invalid_argument& e) {
    untrapped = &e;
  }
  EXPECT_EQ(untrapped, original);
}

// A Failure made while handling the exception that trap() rethrew wraps the same object.
// Twisted: test_failure.FailureTests.test_failureValueFromFoundFailure
TEST(FailureTests, failureValueFromTrappedFailure) {
  tw::Failure f1(std::invalid_argument("value"));
  try {
    f1.trap<std::overflow_error>();
  } catch (...) {
    tw::Failure f2 = tw::Failure::fromCurrentException();
    EXPECT_EQ(f2.value<std::invalid_argument>(), f1.value<std::invalid_argument>());
    EXPECT_EQ(f2, f1);
  }
}

// A copy of a Failure shares its exception object.
// Twisted: test_failure.FailureTests.test_failureValueFromFailure
TEST(FailureTests, copyKeepsValue) {
  tw::Failure f1(std::invalid_argument("value"));
  tw::Failure f2 = f1;
  EXPECT_EQ(f2.value<std::invalid_argument>(), f1.value<std::invalid_argument>());
  EXPECT_EQ(f2, f1);
  EXPECT_EQ(f2.exception(), f1.exception());
  tw::Failure other(std::invalid_argument("value"));
  EXPECT_FALSE(other == f1);
}

// value<E>() gives the exception as an E when it is one (or derives from it), else nullptr.
TEST(FailureTests, value) {
  tw::Failure f(GenericError("boom"));
  const GenericError* asGeneric = f.value<GenericError>();
  ASSERT_NE(asGeneric, nullptr);
  EXPECT_STREQ(asGeneric->what(), "boom");
  const std::exception* asBase = f.value<std::exception>();
  EXPECT_EQ(asBase, static_cast<const std::exception*>(asGeneric));
  EXPECT_EQ(f.value<std::logic_error>(), nullptr);
  EXPECT_EQ(f.value<int>(), nullptr);
}

// value<E>() adjusts the pointer to the base subobject, as a catch clause does, with multiple
// inheritance.
TEST(FailureTests, valueAdjustsToBaseWithMultipleInheritance) {
  tw::Failure f{Both{}};
  const Both* both = f.value<Both>();
  ASSERT_NE(both, nullptr);
  const SecondBase* second = f.value<SecondBase>();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second, static_cast<const SecondBase*>(both));
  EXPECT_NE(static_cast<const void*>(second), static_cast<const void*>(both));
  EXPECT_EQ(second->second, 2);
  EXPECT_EQ(f.value<FirstBase>()->first, 1);
  EXPECT_EQ(f.check<SecondBase>(), &typeid(SecondBase));
  EXPECT_EQ((f.check<std::exception, SecondBase, FirstBase>()), &typeid(SecondBase));
}

// A base that is ambiguous does not match, exactly as a catch clause would not.
TEST(FailureTests, ambiguousBaseDoesNotMatch) {
  bool caughtAsException = false;
  try {
    throw Ambiguous();
  } catch (const std::exception&) {
    caughtAsException = true;
  } catch (...) {
  }
  tw::Failure f{Ambiguous()};
  EXPECT_EQ(f.check<std::exception>() != nullptr, caughtAsException);
  EXPECT_EQ(f.check<std::exception>(), nullptr);
  EXPECT_NE(f.check<std::runtime_error>(), nullptr);
  EXPECT_STREQ(f.value<std::logic_error>()->what(), "logic side");
}

// Exceptions of any type, not only std::exception, can be wrapped and matched.
TEST(FailureTests, nonStdExceptions) {
  tw::Failure number(std::make_exception_ptr(42));
  EXPECT_EQ(number.check<int>(), &typeid(int));
  EXPECT_EQ(number.check<std::exception>(), nullptr);
  ASSERT_NE(number.value<int>(), nullptr);
  EXPECT_EQ(*number.value<int>(), 42);
  EXPECT_EQ(number.typeName(), "int");
  EXPECT_THROW(number.raiseException(), int);
}

// getErrorMessage() is what() for a std::exception, the text for a thrown string, and a
// description naming the type otherwise.
// Twisted: FAI-04 (getErrorMessage is str(value))
TEST(FailureTests, getErrorMessage) {
  EXPECT_EQ(tw::Failure(std::runtime_error("boom")).getErrorMessage(), "boom");
  EXPECT_EQ(tw::Failure(GenericError("generic boom")).getErrorMessage(), "generic boom");
  EXPECT_EQ(tw::Failure(std::make_exception_ptr(std::string("a string"))).getErrorMessage(),
            "a string");
  const char* text = "a C string";
  EXPECT_EQ(tw::Failure(std::make_exception_ptr(text)).getErrorMessage(), "a C string");
  EXPECT_EQ(tw::Failure(std::make_exception_ptr(7)).getErrorMessage(), "exception of type int");
  EXPECT_EQ(tw::Failure(Both{}).getErrorMessage(), "exception of type (anonymous namespace)::Both");
}

// typeName() is the demangled name of the exception's dynamic type.
TEST(FailureTests, typeNameIsDemangled) {
  EXPECT_EQ(tw::Failure(std::runtime_error("x")).typeName(), "std::runtime_error");
  EXPECT_EQ(tw::Failure(GenericError()).typeName(), "(anonymous namespace)::GenericError");
  std::exception_ptr viaBase;
  try {
    throw GenericError();
  } catch (const std::exception&) {
    viaBase = std::current_exception();
  }
  EXPECT_EQ(tw::Failure(viaBase).typeName(), "(anonymous namespace)::GenericError");
  EXPECT_EQ(tw::demangle(typeid(std::logic_error)), "std::logic_error");
}

// repr() is one line with the type and the message.
// Twisted: test_failure.FailureTests.test_repr
TEST(FailureTests, repr) {
  tw::Failure f(std::domain_error("division by zero"));
  EXPECT_EQ(f.repr(), "<tw::Failure std::domain_error: division by zero>");
  std::ostringstream out;
  out << f;
  EXPECT_EQ(out.str(), f.repr());
}

// getTraceback() shows the type, the message and the file:line where the failure was made.
// Twisted: test_failure.FailureTests.test_printTraceback
TEST(FailureTests, getTracebackContainsTypeMessageAndLocation) {
  const unsigned line = __LINE__ + 1;
  tw::Failure f(GenericError("went wrong"));
  EXPECT_EQ(f.where().line(), line);
  const std::string tb = f.getTraceback();
  EXPECT_TRUE(contains(tb, "(anonymous namespace)::GenericError")) << tb;
  EXPECT_TRUE(contains(tb, "went wrong")) << tb;
  EXPECT_TRUE(contains(tb, "failure_test.cpp:" + std::to_string(line))) << tb;
}

// fromCurrentException() wraps the exception being handled, the same object.
TEST(FailureTests, fromCurrentException) {
  try {
    throw GenericError("current");
  } catch (const GenericError& e) {
    const unsigned line = __LINE__ + 1;
    tw::Failure f = tw::Failure::fromCurrentException();
    EXPECT_EQ(f.value<GenericError>(), &e);
    EXPECT_EQ(f.where().line(), line);
    EXPECT_EQ(f.getErrorMessage(), "current");
  }
}

// fromCurrentException() outside a handler raises NoCurrentExceptionError.
// Twisted: test_failure.FailureTests.test_ConstructionFails
TEST(FailureTests, constructionFailsWithoutCurrentException) {
  EXPECT_THROW(tw::Failure::fromCurrentException(), tw::NoCurrentExceptionError);
}

// A null exception_ptr is refused.
TEST(FailureTests, nullExceptionPointerIsRefused) {
  EXPECT_THROW((void)tw::Failure(std::exception_ptr{}), std::invalid_argument);
}

// raiseException() rethrows the original exception object.
// Twisted: test_failure.FailureTests.test_RaiseExceptionWithTB
TEST(FailureTests, raiseExceptionRethrowsOriginal) {
  tw::Failure f(GenericError("again"));
  const GenericError* raised = nullptr;
  try {
    f.raiseException();
  } catch (const GenericError& e) {
    raised = &e;
  }
  EXPECT_EQ(raised, f.value<GenericError>());
}
