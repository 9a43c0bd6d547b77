/// @file
/// The errors of the network layer: connections that end, fail or are refused, timers misused.
/// Twisted: twisted.internet.error.  Tests: tests/runtime/error_test.cpp
///
/// Every message is built as Twisted's `__str__` builds it: the class's fixed sentence, then
/// `": " + detail` when a detail is given, then a full stop, e.g.
/// `ConnectionDone()` reads "Connection was closed cleanly." and
/// `ConnectionRefusedError(ec)` reads "Connection was refused by other side: 111: Connection
/// refused.".
///
/// Twisted's two TimeoutErrors: `tw::TimeoutError` (defer, a Deferred that timed out) and
/// `tw::error::TimeoutError` (here, a connection attempt that timed out).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace tw::error {

namespace detail {
/// "<message>[: <detail>]." as Twisted's error classes print themselves.
std::string sentence(std::string_view message, std::string_view detail);
/// "<message>[: <errno>: <strerror>][: <detail>]." as ConnectError prints itself.
std::string sentence(std::string_view message, std::error_code osError, std::string_view detail);
}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Binding and listening.

/// An error occurred binding to an interface.  Twisted: error.BindError.
class BindError : public std::runtime_error {
 public:
  explicit BindError(std::string_view detail = {})
      : std::runtime_error(detail::sentence("An error occurred binding to an interface", detail)) {}

 protected:
  struct Verbatim {};
  BindError(Verbatim, const std::string& text) : std::runtime_error(text) {}
};

/// `listen*` could not start listening: "Couldn't listen on <iface|any>:<port>: <reason>.".
/// Twisted: error.CannotListenError.
class CannotListenError : public BindError {
 public:
  CannotListenError(std::string interface, std::string port, std::error_code socketError);
  /// The interface asked for ("" means any).
  const std::string& interface() const noexcept { return interface_; }
  /// The port (or path, for UNIX sockets) asked for.
  const std::string& port() const noexcept { return port_; }
  /// What the kernel said.
  std::error_code socketError() const noexcept { return socketError_; }

 private:
  std::string interface_;
  std::string port_;
  std::error_code socketError_;
};

/// A multicast group could not be joined.  Twisted: error.MulticastJoinError.
class MulticastJoinError : public std::runtime_error {
 public:
  explicit MulticastJoinError(std::string_view detail = {})
      : std::runtime_error(detail::sentence("Could not join the multicast group", detail)) {}
};

/// A datagram is too long to send.  Twisted: error.MessageLengthError.
class MessageLengthError : public std::runtime_error {
 public:
  explicit MessageLengthError(std::string_view detail = {})
      : std::runtime_error(detail::sentence("Message is too long to send", detail)) {}
};

/// A host name could not be resolved.  Twisted: error.DNSLookupError.
class DNSLookupError : public std::runtime_error {
 public:
  explicit DNSLookupError(std::string_view detail = {})
      : std::runtime_error(detail::sentence("DNS lookup failed", detail)) {}
};

// ---------------------------------------------------------------------------------------------
// Connecting.

/// A connection attempt failed; the base of every connect error.  Twisted: error.ConnectError.
class ConnectError : public std::runtime_error {
 public:
  explicit ConnectError(std::error_code osError = {}, std::string_view detail = {})
      : ConnectError("An error occurred while connecting", osError, detail) {}
  explicit ConnectError(std::string_view detail) : ConnectError(std::error_code{}, detail) {}
  /// The error the kernel reported, if any (empty otherwise).
  std::error_code osError() const noexcept { return osError_; }

 protected:
  ConnectError(std::string_view message, std::error_code osError, std::string_view detail)
      : std::runtime_error(detail::sentence(message, osError, detail)), osError_(osError) {}

 private:
  std::error_code osError_;
};

#define TW_DETAIL_CONNECT_ERROR(Name, Base, Message)                                 \
  class Name : public Base {                                                         \
   public:                                                                           \
    explicit Name(std::error_code osError = {}, std::string_view detail = {})        \
        : Base(Message, osError, detail) {}                                          \
    explicit Name(std::string_view detail) : Name(std::error_code{}, detail) {}      \
                                                                                     \
   protected:                                                                        \
    Name(std::string_view message, std::error_code osError, std::string_view detail) \
        : Base(message, osError, detail) {}                                          \
  }

/// Could not bind the local address of an outgoing connection.  Twisted: error.ConnectBindError.
TW_DETAIL_CONNECT_ERROR(ConnectBindError, ConnectError, "Couldn't bind");
/// The host name could not be looked up.  Twisted: error.UnknownHostError.
TW_DETAIL_CONNECT_ERROR(UnknownHostError, ConnectError, "Hostname couldn't be looked up");
/// No route to host.  Twisted: error.NoRouteError.
TW_DETAIL_CONNECT_ERROR(NoRouteError, ConnectError, "No route to host");
/// The peer refused the connection (ECONNREFUSED).  Twisted: error.ConnectionRefusedError.
TW_DETAIL_CONNECT_ERROR(ConnectionRefusedError, ConnectError,
                        "Connection was refused by other side");
/// The kernel's connect timed out (ETIMEDOUT).  Twisted: error.TCPTimedOutError.
TW_DETAIL_CONNECT_ERROR(TCPTimedOutError, ConnectError, "TCP connection timed out");
/// The file of a UNIX socket is unusable.  Twisted: error.BadFileError.
TW_DETAIL_CONNECT_ERROR(BadFileError, ConnectError, "File used for UNIX socket is no good");
/// A service name given as a port is unknown.  Twisted: error.ServiceNameUnknownError.
TW_DETAIL_CONNECT_ERROR(ServiceNameUnknownError, ConnectError,
                        "Service name given as port is unknown");
/// The user aborted the connection attempt.  Twisted: error.UserError.
TW_DETAIL_CONNECT_ERROR(UserError, ConnectError, "User aborted connection");
/// The connection attempt passed the caller's timeout.  Twisted: error.TimeoutError.
TW_DETAIL_CONNECT_ERROR(TimeoutError, UserError, "User timeout caused connection failure");
/// A TLS error while connecting.  Twisted: error.SSLError.
TW_DETAIL_CONNECT_ERROR(SSLError, ConnectError, "An SSL error occurred");

#undef TW_DETAIL_CONNECT_ERROR

/// Maps an errno reported by connect() to the ConnectError subclass Twisted picks
/// (ECONNREFUSED → ConnectionRefusedError, ETIMEDOUT → TCPTimedOutError, ENETUNREACH/EHOSTUNREACH
/// → NoRouteError, anything else → ConnectError) and returns it as an exception_ptr.
/// Twisted: error.getConnectError.
std::exception_ptr getConnectError(std::error_code osError, std::string_view detail = {});

/// A connection attempt was cancelled (an endpoint's Deferred was cancelled).
/// Twisted: error.ConnectingCancelledError.
class ConnectingCancelledError : public std::runtime_error {
 public:
  explicit ConnectingCancelledError(std::string address = {})
      : std::runtime_error(detail::sentence("Connecting was cancelled", address)),
        address_(std::move(address)) {}
  /// The address that was being connected to, as text.
  const std::string& address() const noexcept { return address_; }

 private:
  std::string address_;
};

// ---------------------------------------------------------------------------------------------
// Connections that end.  A protocol's connectionLost receives a Failure holding one of these.

/// A connection closed, cleanly or not.  Twisted: error.ConnectionClosed.
class ConnectionClosed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The connection was closed cleanly: "Connection was closed cleanly.".
/// Twisted: error.ConnectionDone.
class ConnectionDone : public ConnectionClosed {
 public:
  explicit ConnectionDone(std::string_view detail = {})
      : ConnectionClosed(detail::sentence("Connection was closed cleanly", detail)) {}

 protected:
  ConnectionDone(std::string_view message, std::string_view detail)
      : ConnectionClosed(detail::sentence(message, detail)) {}
};

/// The connection to the other side was lost in a non-clean fashion (e.g. ECONNRESET).
/// Twisted: error.ConnectionLost.
class ConnectionLost : public ConnectionClosed {
 public:
  explicit ConnectionLost(std::string_view detail = {})
      : ConnectionLost("Connection to the other side was lost in a non-clean fashion", detail) {}
  ConnectionLost(std::error_code osError, std::string_view detail = {});
  /// The error the kernel reported, if any.
  std::error_code osError() const noexcept { return osError_; }

 protected:
  ConnectionLost(std::string_view message, std::string_view detail)
      : ConnectionClosed(detail::sentence(message, detail)) {}

 private:
  std::error_code osError_;
};

/// The connection was aborted locally with abortConnection().  Twisted: error.ConnectionAborted.
class ConnectionAborted : public ConnectionLost {
 public:
  explicit ConnectionAborted(std::string_view detail = {})
      : ConnectionLost("Connection was aborted locally using ITCPTransport.abortConnection",
                       detail) {}
};

/// The descriptor of a connection went away.  Twisted: error.ConnectionFdescWentAway.
class ConnectionFdescWentAway : public ConnectionLost {
 public:
  explicit ConnectionFdescWentAway(std::string_view detail = {})
      : ConnectionLost("The file descriptor of the connection went away", detail) {}
};

/// A process ended with exit code 0.  Twisted: error.ProcessDone.
class ProcessDone : public ConnectionDone {
 public:
  explicit ProcessDone(int status = 0)
      : ConnectionDone("A process has ended without apparent errors",
                       "process finished with exit code 0"),
        status_(status) {}
  /// Always 0.
  int exitCode() const noexcept { return 0; }
  /// The raw wait status.
  int status() const noexcept { return status_; }

 private:
  int status_;
};

/// A process ended with a non-zero exit code or by a signal.  Twisted: error.ProcessTerminated.
class ProcessTerminated : public ConnectionLost {
 public:
  ProcessTerminated(std::optional<int> exitCode, std::optional<int> signal, int status = 0);
  /// The exit code, unless a signal ended the process.
  std::optional<int> exitCode() const noexcept { return exitCode_; }
  /// The signal that ended the process, if one did.
  std::optional<int> signal() const noexcept { return signal_; }
  /// The raw wait status.
  int status() const noexcept { return status_; }

 private:
  std::optional<int> exitCode_;
  std::optional<int> signal_;
  int status_;
};

/// The process has already exited.  Twisted: error.ProcessExitedAlready.
class ProcessExitedAlready : public std::runtime_error {
 public:
  ProcessExitedAlready() : std::runtime_error("The process has already exited.") {}
};

// ---------------------------------------------------------------------------------------------
// Timers and misuse.

/// cancel()/reset()/delay() on a DelayedCall that has already run.
/// Twisted: error.AlreadyCalled.
class AlreadyCalled : public std::logic_error {
 public:
  explicit AlreadyCalled(std::string_view detail = {})
      : std::logic_error(detail::sentence("Tried to cancel an already-called event", detail)) {}
};

/// cancel()/reset()/delay() on a DelayedCall that was cancelled.
/// Twisted: error.AlreadyCancelled.
class AlreadyCancelled : public std::logic_error {
 public:
  explicit AlreadyCancelled(std::string_view detail = {})
      : std::logic_error(detail::sentence("Tried to cancel an already-cancelled event", detail)) {}
};

/// stopConnecting() on a connector that is not connecting.  Twisted: error.NotConnectingError.
class NotConnectingError : public std::logic_error {
 public:
  explicit NotConnectingError(std::string_view detail = {})
      : std::logic_error(detail::sentence(
            "The Connector was not connecting when it was asked to stop connecting", detail)) {}
};

/// stopListening() on a port that is not listening.  Twisted: error.NotListeningError.
class NotListeningError : public std::logic_error {
 public:
  explicit NotListeningError(std::string_view detail = {})
      : std::logic_error(detail::sentence(
            "The Port was not listening when it was asked to stop listening", detail)) {}
};

/// stop() on a reactor that is not running.  Twisted: error.ReactorNotRunning.
class ReactorNotRunning : public std::logic_error {
 public:
  explicit ReactorNotRunning(std::string_view detail = "Can't stop reactor that isn't running")
      : std::logic_error(std::string(detail)) {}
};

/// run() on a reactor that already ran and stopped.  Twisted: error.ReactorNotRestartable.
class ReactorNotRestartable : public std::logic_error {
 public:
  ReactorNotRestartable() : std::logic_error("The reactor cannot be restarted") {}
};

/// run() on a reactor that is running.  Twisted: error.ReactorAlreadyRunning.
class ReactorAlreadyRunning : public std::logic_error {
 public:
  ReactorAlreadyRunning() : std::logic_error("The reactor is already running") {}
};

/// An operation was given an address of a family it does not support.
/// Twisted: error.UnsupportedAddressFamily.
class UnsupportedAddressFamily : public std::invalid_argument {
 public:
  explicit UnsupportedAddressFamily(std::string_view detail = {})
      : std::invalid_argument(detail::sentence("Unsupported address family", detail)) {}
};

/// An address could not be parsed or used.  Twisted: error.InvalidAddressError.
class InvalidAddressError : public std::invalid_argument {
 public:
  InvalidAddressError(std::string address, std::string_view message)
      : std::invalid_argument("Invalid address " + address + ": " + std::string(message)),
        address_(std::move(address)) {}
  /// The rejected address.
  const std::string& address() const noexcept { return address_; }

 private:
  std::string address_;
};

/// A factory's buildProtocol refused a connection (returned no protocol).
/// Twisted: error.NoProtocol.
class NoProtocol : public std::runtime_error {
 public:
  NoProtocol() : std::runtime_error("The factory refused to build a protocol.") {}
};

}  // namespace tw::error
