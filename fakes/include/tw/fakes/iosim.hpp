/// @file
/// iosim: two protocols connected in memory through FakeTransports, and a pump that moves their
/// bytes, deterministically — a real client protocol against a real server protocol, no socket.
/// Twisted: twisted.test.iosim (private there; public API here, as users asked in twisted#5354).
/// Tests: tests/fakes/iosim_test.cpp
///
/// Ownership: an IOPump owns both FakeTransports; each FakeTransport owns its protocol.  Keep the
/// pump (or the ConnectedPair holding it) alive as long as the protocols use their transports.
/// Every call into a protocol is made with the protocol and its transport kept alive, so a
/// protocol may close or abort its connection from any callback.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tw/failure.hpp"
#include "tw/fakes/clock.hpp"
#include "tw/fakes/fail_count.hpp"
#include "tw/interfaces/i_address.hpp"
#include "tw/interfaces/i_protocol.hpp"
#include "tw/interfaces/i_transport.hpp"

namespace tw::fakes {

class MemoryReactor;

/// The default address of both ends of a FakeTransport; each one is equal only to itself.
/// Twisted: iosim.FakeAddress.
class FakeAddress final : public IAddress {
 public:
  /// "FakeAddress()".
  std::string repr() const override { return "FakeAddress()"; }
  bool equals(const IAddress& other) const override { return &other == this; }
};

/// One end of an in-memory connection: what its protocol writes waits in a buffer until an
/// IOPump moves it to the other end.
///
/// Differs from Twisted (whose FakeTransport ignores most of these):
///  - writes after loseConnection are dropped as Twisted drops them, but counted
///    (`droppedBytes()`), so a test can see that nothing was lost silently;
///  - `abortConnection()` discards what was not yet pumped and reports ConnectionAborted to its
///    own protocol and ConnectionLost to the peer (Twisted treats it as loseConnection);
///  - `pauseProducing()` holds received bytes until `resumeProducing()` (Twisted ignores it);
///  - bytes that arrive after this end's protocol called loseConnection are not delivered (a
///    real transport stops reading then); they are counted in `droppedBytes()`;
///  - when the connection is lost, a registered producer gets stopProducing();
///  - a second registerProducer throws, and the producer's kind must match `streaming`, as on a
///    real transport;
///  - the socket options are recorded.
class FakeTransport : public ITCPTransport {
 public:
  /// @param protocol  the protocol this end delivers bytes to; must not be null.
  /// @param isServer  true for the accepting end.
  /// @param hostAddress, peerAddress  what getHost()/getPeer() return; a new FakeAddress each
  ///                  when null.
  FakeTransport(std::shared_ptr<IProtocol> protocol, bool isServer,
                AddressPtr hostAddress = nullptr, AddressPtr peerAddress = nullptr);
  FakeTransport(const FakeTransport&) = delete;
  FakeTransport& operator=(const FakeTransport&) = delete;

  // --- ITransport / ITCPTransport -----------------------------------------------------------
  void write(std::string_view data) override;
  using ITransport::writeSequence;
  void writeSequence(std::span<const std::string_view> data) override;
  /// Sets disconnecting(); the pump then closes both ends.
  void loseConnection() override;
  AddressPtr getPeer() const override { return peerAddress_; }
  AddressPtr getHost() const override { return hostAddress_; }
  bool disconnecting() const override { return disconnecting_; }
  void loseWriteConnection() override { writeDisconnected_ = true; }
  /// Discards unsent bytes and closes; see the class comment.
  void abortConnection() override;
  bool getTcpNoDelay() const override { return noDelay_; }
  void setTcpNoDelay(bool enabled) override { noDelay_ = enabled; }
  bool getTcpKeepAlive() const override { return keepAlive_; }
  void setTcpKeepAlive(bool enabled) override { keepAlive_ = enabled; }

  // --- IConsumer ----------------------------------------------------------------------------
  /// A pull producer is asked for data at once, then at every pump.
  /// @throws std::runtime_error if a producer is registered already;
  ///         std::invalid_argument if its kind does not match `streaming`.
  void registerProducer(IProducer& producer, bool streaming) override;
  /// Forgets the producer (no-op if none).
  void unregisterProducer() override;

  // --- IPushProducer: pausing this transport pauses delivery to its protocol ----------------
  void pauseProducing() override { paused_ = true; }
  /// Delivers what arrived while paused, then goes on delivering.
  void resumeProducing() override;
  /// Closes the connection.
  void stopProducing() override { loseConnection(); }

  // --- for the pump and for tests -----------------------------------------------------------
  /// Takes what was written and not yet pumped.
  std::string getOutBuffer();
  /// Delivers `data` to the protocol (or holds it while paused).
  void bufferReceived(std::string_view data);
  /// Calls the protocol's connectionLost with disconnectReason(), once.
  void reportDisconnect();
  /// Asks a registered pull producer for more.  Twisted: _checkProducer.
  void checkProducer();

  /// Makes every write consult `failCount` (nullptr: never fail).  A failing write loses the
  /// connection with the FailCount's error; the write's bytes are dropped and counted.
  void setFailCount(FailCount* failCount) noexcept { failCount_ = failCount; }

  const std::shared_ptr<IProtocol>& protocol() const noexcept { return protocol_; }
  bool isServer() const noexcept { return isServer_; }
  /// A number unique to this transport in the process.
  std::uint64_t serial() const noexcept { return serial_; }
  /// True once the pump passed this end's close on to the other end.  Twisted: disconnected.
  bool disconnected() const noexcept { return disconnected_; }
  /// True once this end's protocol got connectionLost.
  bool connectionLostReported() const noexcept { return reported_; }
  /// Makes `hook` run after this end's protocol got connectionLost (ConnectionCompleter uses it
  /// to tell the client factory, as a real connector does).
  void setConnectionLostHook(std::function<void(const Failure&)> hook) {
    lostHook_ = std::move(hook);
  }
  /// What connectionLost will receive.
  const Failure& disconnectReason() const noexcept { return disconnectReason_; }
  /// Replaces what connectionLost will receive.
  void setDisconnectReason(Failure reason) { disconnectReason_ = std::move(reason); }
  /// True if this end aborted or a write failed: the peer then sees ConnectionLost.
  bool brokeConnection() const noexcept { return broke_; }
  /// Bytes written after the connection started closing (dropped).
  std::size_t droppedBytes() const noexcept { return droppedBytes_; }
  bool writeDisconnected() const noexcept { return writeDisconnected_; }
  bool paused() const noexcept { return paused_; }
  /// The registered producer, or nullptr.
  IProducer* producer() const noexcept { return producer_; }
  bool streamingProducer() const noexcept { return streaming_; }
  /// "FakeTransport<S,3,Echo>".  Twisted: FakeTransport.__repr__.
  std::string repr() const;

 private:
  friend class IOPump;
  void breakConnection(Failure reason);

  std::shared_ptr<IProtocol> protocol_;
  bool isServer_;
  AddressPtr hostAddress_;
  AddressPtr peerAddress_;
  std::uint64_t serial_;
  std::string stream_;
  std::string inbox_;  // received while paused
  IProducer* producer_ = nullptr;
  FailCount* failCount_ = nullptr;
  Failure disconnectReason_;
  std::function<void(const Failure&)> lostHook_;
  std::size_t droppedBytes_ = 0;
  bool streaming_ = false;
  bool disconnecting_ = false;
  bool disconnected_ = false;
  bool reported_ = false;
  bool broke_ = false;
  bool paused_ = false;
  bool delivering_ = false;
  bool writeDisconnected_ = false;
  bool noDelay_ = false;
  bool keepAlive_ = false;
};

/// Moves bytes between the two ends of an in-memory connection.  Twisted: iosim.IOPump.
///
/// An IOPump is a cheap value (copies share the two transports).  pump() keeps both ends alive
/// while it runs, so a callback may drop every other reference to the connection; flush() calls
/// pump() on this object again, so do not destroy the pump that is flushing from a callback.
class IOPump {
 public:
  /// @param clock  if given, advanced by 0 before each pump so that calls due now run (Twisted
  ///               trunk does the same).
  IOPump(std::shared_ptr<IProtocol> client, std::shared_ptr<IProtocol> server,
         std::shared_ptr<FakeTransport> clientIO, std::shared_ptr<FakeTransport> serverIO,
         Clock* clock = nullptr);

  /// One round: moves the server's then the client's pending output to the other end and asks
  /// pull producers for more; returns true if bytes moved.  If none did and an end is closing,
  /// tells ONE end (the client first when the server closed, else the server) that the
  /// connection is gone and returns true.  Otherwise returns false.
  bool pump();

  /// pump() until it returns false; true if anything happened.
  /// @throws std::runtime_error "Too long" after 1000 rounds (a protocol that talks forever).
  bool flush();

  const std::shared_ptr<IProtocol>& client() const noexcept { return client_; }
  const std::shared_ptr<IProtocol>& server() const noexcept { return server_; }
  FakeTransport& clientIO() const noexcept { return *clientIO_; }
  FakeTransport& serverIO() const noexcept { return *serverIO_; }

 private:
  std::shared_ptr<IProtocol> client_;
  std::shared_ptr<IProtocol> server_;
  std::shared_ptr<FakeTransport> clientIO_;
  std::shared_ptr<FakeTransport> serverIO_;
  Clock* clock_;
};

/// Connects the server protocol (first) and the client protocol to their transports and
/// returns the pump between them, flushed once if `greet` (so greetings are exchanged).
/// Twisted: iosim.connect.
IOPump connect(std::shared_ptr<IProtocol> serverProtocol,
               std::shared_ptr<FakeTransport> serverTransport,
               std::shared_ptr<IProtocol> clientProtocol,
               std::shared_ptr<FakeTransport> clientTransport, bool greet = true,
               Clock* clock = nullptr);

/// A client and a server connected in memory, with the pump between them.
template <class Server, class Client>
struct ConnectedPair {
  std::shared_ptr<Client> client;
  std::shared_ptr<Server> server;
  IOPump pump;
  FakeTransport& clientTransport() const noexcept { return pump.clientIO(); }
  FakeTransport& serverTransport() const noexcept { return pump.serverIO(); }
};

/// Makes a server and a client with `makeServer()` / `makeClient()` (callables returning
/// shared_ptrs), connects them and returns both with the pump.
/// Twisted: iosim.connectedServerAndClient.
template <class MakeServer, class MakeClient>
auto connectedServerAndClient(MakeServer makeServer, MakeClient makeClient, bool greet = true,
                              Clock* clock = nullptr) {
  auto client = makeClient();
  auto server = makeServer();
  using Server = typename decltype(server)::element_type;
  using Client = typename decltype(client)::element_type;
  auto clientIO = std::make_shared<FakeTransport>(client, false);
  auto serverIO = std::make_shared<FakeTransport>(server, true);
  IOPump pump = connect(server, serverIO, client, clientIO, greet, clock);
  return ConnectedPair<Server, Client>{std::move(client), std::move(server), std::move(pump)};
}

/// The same with default-constructed protocols: `connectedServerAndClient<Echo, EchoClient>()`.
template <class Server, class Client>
ConnectedPair<Server, Client> connectedServerAndClient(bool greet = true, Clock* clock = nullptr) {
  return connectedServerAndClient([] { return std::make_shared<Server>(); },
                                  [] { return std::make_shared<Client>(); }, greet, clock);
}

/// Completes (or fails) the connection attempts recorded by a MemoryReactor: a client's
/// connectTCP meets the listenTCP on the same port.  Twisted: iosim.ConnectionCompleter.
class ConnectionCompleter {
 public:
  /// @param failCount  if given, consulted on each succeedOnce(): a failing attempt is failed
  ///                   with the FailCount's error instead.
  explicit ConnectionCompleter(MemoryReactor& reactor, FailCount* failCount = nullptr)
      : reactor_(reactor), failCount_(failCount) {}

  /// Takes the oldest connection attempt whose port has a listener, builds the client protocol
  /// (client factory) and the server protocol (server factory, given the client's address),
  /// connects them through FakeTransports with addresses that match, and returns the pump.
  /// Nothing (and nothing changes) if no attempt has a listener.  A factory that refuses
  /// (buildProtocol returns null) makes the attempt fail with tw::error::ConnectionRefusedError.
  std::optional<IOPump> succeedOnce(Clock* clock = nullptr);

  /// Fails the oldest connection attempt: its factory's clientConnectionFailed gets `reason`
  /// (tw::error::ConnectionRefusedError by default).  Returns false if there is none.
  bool failOnce(std::optional<Failure> reason = std::nullopt);

 private:
  MemoryReactor& reactor_;
  FailCount* failCount_;
  int nextPort_ = 49152;  // the client ends' ports, deterministic per completer
};

}  // namespace tw::fakes
