/// @file
/// Echo: the server that sends back every byte it receives, and a client that checks it.
/// Twisted: docs/core/examples/echoserv.py (Echo) and echoclient.py (EchoClient).
/// Tests: examples/echo/tests/echo_test.cpp, examples/echo/tests/echo_property_test.cpp
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tw/deferred.hpp"
#include "tw/factory.hpp"
#include "tw/protocol.hpp"

namespace echo {

/// The echo protocol: writes back whatever it receives, as it arrives.  Twisted: Echo.
class Echo : public tw::Protocol {
 public:
  /// On TCP, turns Nagle's algorithm off (TCP_NODELAY), as the echo benchmark's other servers do.
  void connectionMade() override;
  void dataReceived(std::string_view data) override;
};

/// Builds an Echo per connection and counts them.  Twisted: echoserv.py's
/// `Factory.forProtocol(Echo)`, as a class.
class EchoFactory : public tw::ServerFactory {
 public:
  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress& addr) override;
  /// How many connections this factory served.
  int connections() const noexcept { return connections_; }

 private:
  int connections_ = 0;
};

/// The echo client: sends one message as soon as it is connected, reads the echo, closes the
/// connection once the echo is complete, and reports it.  Twisted: echoclient.py's EchoClient
/// (which prints what the server said).
///
/// @code
/// auto client = std::make_shared<echo::EchoClient>("hello, world!");
/// // ... connected to an echo server:
/// client->whenEchoed().addCallback([](std::string echoed) { std::cout << echoed << "\n"; });
/// @endcode
///
/// Differs from Twisted: the result is a Deferred instead of a print, and it fails if the
/// connection is lost before the whole message came back.
class EchoClient : public tw::Protocol {
 public:
  /// @param message  what to send; an empty message is echoed as soon as the connection is made.
  explicit EchoClient(std::string message) : message_(std::move(message)) {}

  /// Fires with the bytes received once as many came back as were sent (the client then closes
  /// the connection); fails with the reason of connectionLost if the connection was lost before.
  /// Each call returns a handle to the same Deferred: add callbacks to one of them only once.
  tw::Deferred<std::string> whenEchoed() const { return echoed_; }
  /// The message sent.
  const std::string& message() const noexcept { return message_; }
  /// What came back so far.
  const std::string& received() const noexcept { return received_; }

  /// Sends the message.
  void connectionMade() override;
  /// Collects the echo; closes the connection once it is complete.
  void dataReceived(std::string_view data) override;
  /// Fails whenEchoed() with `reason` if the echo was not complete.
  void connectionLost(const tw::Failure& reason) override;

 private:
  void finish();

  std::string message_;
  std::string received_;
  tw::Deferred<std::string> echoed_;
  bool finished_ = false;
};

/// Builds one EchoClient per connection, each sending `message`.  Twisted: echoclient.py's
/// EchoClientFactory.
class EchoClientFactory : public tw::ClientFactory {
 public:
  explicit EchoClientFactory(std::string message) : message_(std::move(message)) {}
  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress& addr) override;

 private:
  std::string message_;
};

}  // namespace echo
