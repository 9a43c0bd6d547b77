/// @file
/// Failure: type matching without rethrowing, messages and printing.
#include "tw/failure.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <ostream>
#include <sstream>

namespace tw {

namespace {

struct NonStdException {};

#if defined(__GLIBCXX__)
// libstdc++'s exception_ptr holds exactly the address of the thrown object.
static_assert(sizeof(std::exception_ptr) == sizeof(void*));

void* thrownObject(const std::exception_ptr& p) noexcept {
  return *reinterpret_cast<void* const*>(&p);
}

const std::type_info* thrownType(const std::exception_ptr& p) noexcept {
  return p.__cxa_exception_type();
}
#endif

}  // namespace

Failure::Failure(std::exception_ptr exception, std::source_location where)
    : exception_(std::move(exception)),
      type_(&typeid(NonStdException)),
      object_(nullptr),
      where_(where) {
  if (!exception_) throw std::invalid_argument("tw::Failure needs a non-null exception_ptr");
#if defined(__GLIBCXX__)
  object_ = thrownObject(exception_);
  if (const std::type_info* t = thrownType(exception_)) type_ = t;
#else
  // Portable fallback: one rethrow at construction to learn the type.
  try {
    std::rethrow_exception(exception_);
  } catch (const std::exception& e) {
    type_ = &typeid(e);
  } catch (...) {
  }
#endif
}

Failure Failure::fromCurrentException(std::source_location where) {
  std::exception_ptr current = std::current_exception();
  if (!current) throw NoCurrentExceptionError();
  return Failure(std::move(current), where);
}

bool Failure::matches(const std::type_info& target) const noexcept {
  return adjustTo(target) != nullptr || (object_ == nullptr && target == *type_);
}

const void* Failure::adjustTo(const std::type_info& target) const noexcept {
#if defined(__GLIBCXX__)
  // The same question the unwinder asks a catch clause: does a handler for `target` catch an
  // object of type `type_`, and at which address is the `target` subobject?
  void* adjusted = object_;
  if (target.__do_catch(type_, &adjusted, 1)) return adjusted;
  return nullptr;
#else
  // Portable fallback: rethrow and compare types exactly (no base-class matching).
  return target == *type_ ? static_cast<const void*>(this) : nullptr;
#endif
}

std::string Failure::getErrorMessage() const {
  if (const auto* e = value<std::exception>()) return e->what();
  if (const auto* s = value<std::string>()) return *s;
  if (const auto* c = value<const char*>()) return *c;
  return "exception of type " + typeName();
}

void Failure::raiseException() const {
#if defined(__GLIBCXX__)
  // std::rethrow_exception takes its exception_ptr by value, and the caller destroys that
  // argument: a copy here would put a cleanup (landing pad) in this frame, which every rethrow
  // would stop at. Pass instead a bitwise alias of ours that nobody destroys: the callee only
  // reads it (and takes its own reference on the exception).
  alignas(std::exception_ptr) unsigned char alias[sizeof(std::exception_ptr)];
  std::memcpy(alias, &exception_, sizeof alias);
  using Rethrow = void (*)(void*);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-function-type"
  reinterpret_cast<Rethrow>(static_cast<void (*)(std::exception_ptr)>(&std::rethrow_exception))(
      alias);
#pragma GCC diagnostic pop
  __builtin_unreachable();
#else
  std::rethrow_exception(exception_);
#endif
}

std::string Failure::typeName() const { return demangle(*type_); }

std::string Failure::repr() const {
  return "<tw::Failure " + typeName() + ": " + getErrorMessage() + ">";
}

std::string Failure::getTraceback() const {
  std::ostringstream out;
  out << "Failure: " << typeName() << ": " << getErrorMessage() << "\n"
      << "  entered the chain at " << where_.file_name() << ":" << where_.line() << " in "
      << where_.function_name() << "\n";
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Failure& failure) {
  return out << failure.repr();
}

std::string demangle(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  if (status == 0 && name) return name.get();
  return type.name();
}

std::string shortTypeName(const std::type_info& type) {
  std::string full = demangle(type);
  // The last "::"-separated component outside template arguments.
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < full.size(); ++i) {
    char c = full[i];
    if (c == '<' || c == '(') {
      ++depth;
    } else if (c == '>' || c == ')') {
      --depth;
    } else if (depth == 0 && c == ':' && i + 1 < full.size() && full[i + 1] == ':') {
      start = i + 2;
      ++i;
    }
  }
  return full.substr(start);
}

}  // namespace tw
