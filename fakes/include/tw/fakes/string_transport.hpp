/// @file
/// StringTransport and StringTransportWithDisconnection: transports that record what a protocol
/// writes, for testing protocols without a socket.
/// Twisted: twisted.internet.testing.StringTransport, StringTransportWithDisconnection.
/// Tests: tests/fakes/string_transport_test.cpp, tests/fakes/transport_contract_test.cpp
#pragma once

#include <string>
#include <string_view>

#include "tw/interfaces/i_address.hpp"
#include "tw/interfaces/i_protocol.hpp"
#include "tw/interfaces/i_transport.hpp"

namespace tw::fakes {

/// The state of a StringTransport seen as a push producer.  Twisted: producerState.
enum class ProducerState { producing, paused, stopped };

/// "producing", "paused" or "stopped".
std::string_view toString(ProducerState state) noexcept;

/// A transport that keeps everything written to it in memory and otherwise only records what
/// it is asked to do.
///
/// @code
/// Echo proto;
/// tw::fakes::StringTransport tr;
/// proto.makeConnection(tr);
/// proto.dataReceived("hello");
/// EXPECT_EQ(tr.value(), "hello");
/// @endcode
///
/// `loseConnection()` only sets `disconnecting()`; nothing calls the protocol back.  Use
/// StringTransportWithDisconnection to have connectionLost called.
///
/// Differs from Twisted: the default addresses are created once per transport, so getHost() and
/// getPeer() return the same address before and after the connection is closed (twisted#5463).
class StringTransport : public ITCPTransport {
 public:
  /// @param hostAddress  what getHost() returns; IPv4Address("TCP", "10.0.0.1", 12345) if null.
  /// @param peerAddress  what getPeer() returns; IPv4Address("TCP", "192.168.1.1", 54321) if
  ///                     null.
  /// @param lenient      allow pause/resumeProducing after loseConnection (Twisted: lenient).
  explicit StringTransport(AddressPtr hostAddress = nullptr, AddressPtr peerAddress = nullptr,
                           bool lenient = false);
  StringTransport(const StringTransport&) = delete;
  StringTransport& operator=(const StringTransport&) = delete;
  ~StringTransport() override = default;

  // --- for tests --------------------------------------------------------------------------

  /// Everything written since construction or the last clear().
  std::string value() const { return io_; }

  /// The same bytes without a copy; valid until the next write or clear.  tw's addition.
  std::string_view view() const noexcept { return io_; }

  /// Forgets what was written so far.
  void clear() noexcept { io_.clear(); }

  /// True until the connection is lost (only StringTransportWithDisconnection loses it).
  bool connected() const noexcept { return connected_; }

  /// True once abortConnection() was called.  Twisted: StringTransport.disconnected.
  bool disconnected() const noexcept { return disconnected_; }

  /// True once loseWriteConnection() was called.  tw's addition.
  bool writeDisconnected() const noexcept { return writeDisconnected_; }

  /// The registered producer, or nullptr.
  IProducer* producer() const noexcept { return producer_; }

  /// The `streaming` flag of the registered producer (false when none).
  bool streaming() const noexcept { return streaming_; }

  /// This transport's own state as a push producer.
  ProducerState producerState() const noexcept { return producerState_; }

  // --- ITransport ---------------------------------------------------------------------------

  /// Appends to value(), also after loseConnection (Twisted records such writes too; a test can
  /// see them).
  void write(std::string_view data) override;
  using ITransport::writeSequence;
  void writeSequence(std::span<const std::string_view> data) override;
  /// Sets disconnecting(); nothing else.
  void loseConnection() override;
  AddressPtr getPeer() const override { return peerAddress_; }
  AddressPtr getHost() const override { return hostAddress_; }
  bool disconnecting() const override { return disconnecting_; }

  // --- ITCPTransport ------------------------------------------------------------------------

  /// Sets writeDisconnected().
  void loseWriteConnection() override;
  /// Sets disconnected() and disconnecting().
  void abortConnection() override;
  bool getTcpNoDelay() const override { return noDelay_; }
  void setTcpNoDelay(bool enabled) override { noDelay_ = enabled; }
  bool getTcpKeepAlive() const override { return keepAlive_; }
  void setTcpKeepAlive(bool enabled) override { keepAlive_ = enabled; }

  // --- IConsumer ----------------------------------------------------------------------------

  /// Records the producer.
  /// @throws std::runtime_error "Cannot register two producers" if one is registered;
  ///         std::invalid_argument if `streaming` and the producer is not an IPushProducer, or
  ///         not `streaming` and it is not an IPullProducer.
  void registerProducer(IProducer& producer, bool streaming) override;
  /// @throws std::runtime_error if no producer is registered.
  void unregisterProducer() override;

  // --- IPushProducer ------------------------------------------------------------------------

  /// @throws std::runtime_error after loseConnection (unless lenient) or stopProducing.
  void pauseProducing() override;
  /// @throws std::runtime_error after loseConnection (unless lenient) or stopProducing.
  void resumeProducing() override;
  void stopProducing() override { producerState_ = ProducerState::stopped; }

 protected:
  /// Marks the connection lost (for StringTransportWithDisconnection).
  void setConnected(bool connected) noexcept { connected_ = connected; }
  void setDisconnecting() noexcept { disconnecting_ = true; }

 private:
  void checkState() const;

  std::string io_;
  AddressPtr hostAddress_;
  AddressPtr peerAddress_;
  IProducer* producer_ = nullptr;
  ProducerState producerState_ = ProducerState::producing;
  bool streaming_ = false;
  bool lenient_;
  bool connected_ = true;
  bool disconnecting_ = false;
  bool disconnected_ = false;
  bool writeDisconnected_ = false;
  bool noDelay_ = false;
  bool keepAlive_ = false;
};

/// A StringTransport that tells its protocol when the connection is closed:
/// `loseConnection()` calls `connectionLost(ConnectionDone("Bye."))` at once, the first time.
///
/// @code
/// tw::fakes::StringTransportWithDisconnection tr;
/// tr.setProtocol(proto);        // Twisted: tr.protocol = proto
/// proto.makeConnection(tr);
/// @endcode
///
/// Differs from Twisted:
///  - `abortConnection()` reports tw::error::ConnectionAborted, not ConnectionDone (twisted#8161).
///  - `loseConnection()` also sets `disconnecting()`, as a real transport does (Twisted's leaves
///    it false, so a LineReceiver would go on delivering lines after the close).
class StringTransportWithDisconnection : public StringTransport {
 public:
  using StringTransport::StringTransport;

  /// The protocol to tell; it must outlive the connection (or be unset).
  void setProtocol(IProtocol& protocol) noexcept { protocol_ = &protocol; }
  IProtocol* protocol() const noexcept { return protocol_; }

  /// If still connected: marks the connection lost and calls the protocol's connectionLost with
  /// ConnectionDone("Bye.").  Later calls do nothing.
  void loseConnection() override;

  /// As loseConnection, with ConnectionAborted; also sets disconnected().
  void abortConnection() override;

 private:
  void lose(const Failure& reason);

  IProtocol* protocol_ = nullptr;
};

}  // namespace tw::fakes
