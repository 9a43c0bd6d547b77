/// @file
/// Messages of the network-layer errors.  Tests: tests/runtime/error_test.cpp
#include "tw/error.hpp"

#include <cerrno>

namespace tw::error {

namespace detail {

std::string sentence(std::string_view message, std::string_view detail) {
  std::string s(message);
  if (!detail.empty()) {
    s += ": ";
    s += detail;
  }
  s += '.';
  return s;
}

std::string sentence(std::string_view message, std::error_code osError, std::string_view detail) {
  std::string s(message);
  if (osError) {
    s += ": ";
    s += std::to_string(osError.value());
    s += ": ";
    s += osError.message();
  }
  if (!detail.empty()) {
    s += ": ";
    s += detail;
  }
  s += '.';
  return s;
}

}  // namespace detail

namespace {
std::string listenReason(const std::string& interface, const std::string& port,
                         std::error_code socketError) {
  return "Couldn't listen on " + (interface.empty() ? std::string("any") : interface) + ":" + port +
         ": " + socketError.message() + ".";
}
}  // namespace

CannotListenError::CannotListenError(std::string interface, std::string port,
                                     std::error_code socketError)
    : BindError(Verbatim{}, listenReason(interface, port, socketError)),
      interface_(std::move(interface)),
      port_(std::move(port)),
      socketError_(socketError) {}

ConnectionLost::ConnectionLost(std::error_code osError, std::string_view detail)
    : ConnectionClosed(detail::sentence(
          "Connection to the other side was lost in a non-clean fashion", osError, detail)),
      osError_(osError) {}

namespace {
std::string terminatedDetail(std::optional<int> exitCode, std::optional<int> signal) {
  std::string s = "process ended";
  if (exitCode) s += " with exit code " + std::to_string(*exitCode);
  if (signal) s += " by signal " + std::to_string(*signal);
  return s;
}
}  // namespace

ProcessTerminated::ProcessTerminated(std::optional<int> exitCode, std::optional<int> signal,
                                     int status)
    : ConnectionLost("A process has ended with a probable error condition",
                     terminatedDetail(exitCode, signal)),
      exitCode_(exitCode),
      signal_(signal),
      status_(status) {}

std::exception_ptr getConnectError(std::error_code osError, std::string_view detail) {
  if (osError.category() == std::system_category() ||
      osError.category() == std::generic_category()) {
    switch (osError.value()) {
      case ECONNREFUSED:
        return std::make_exception_ptr(ConnectionRefusedError(osError, detail));
      case ETIMEDOUT:
        return std::make_exception_ptr(TCPTimedOutError(osError, detail));
      case ENETUNREACH:
      case EHOSTUNREACH:
        return std::make_exception_ptr(NoRouteError(osError, detail));
      default:
        break;
    }
  }
  return std::make_exception_ptr(ConnectError(osError, detail));
}

}  // namespace tw::error
