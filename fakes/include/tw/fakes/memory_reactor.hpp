/// @file
/// MemoryReactor, MemoryReactorClock and RaisingMemoryReactor: reactors that record what is asked
/// of them (listen, connect, triggers, descriptors) and never touch the network.
/// Twisted: twisted.internet.testing.MemoryReactor, MemoryReactorClock, RaisingMemoryReactor.
/// Tests: tests/fakes/memory_reactor_test.cpp
///
/// Code under test takes the interfaces (IReactorTCP&, IReactorTime&, ...); a test hands it a
/// MemoryReactorClock and then inspects `tcpClients()`, `tcpServers()`, ... to check what it
/// asked for, completes connections by hand (see ConnectionCompleter in <tw/fakes/iosim.hpp>),
/// and drives time with `advance()`.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include "tw/datagram_protocol.hpp"
#include "tw/detail/system_events.hpp"
#include "tw/fakes/clock.hpp"
#include "tw/fakes/fake_datagram_transport.hpp"
#include "tw/interfaces/i_connector.hpp"
#include "tw/interfaces/i_listening_port.hpp"
#include "tw/interfaces/i_reactor_core.hpp"
#include "tw/interfaces/i_reactor_fd_set.hpp"
#include "tw/interfaces/i_reactor_socket.hpp"
#include "tw/interfaces/i_reactor_tcp.hpp"
#include "tw/interfaces/i_reactor_udp.hpp"
#include "tw/interfaces/i_reactor_unix.hpp"

namespace tw::fakes {

/// The listening port a MemoryReactor returns: it only knows its address.
/// `stopListening()` marks it stopped and returns a fired Deferred.  Twisted: _FakePort.
class FakePort : public IListeningPort {
 public:
  explicit FakePort(AddressPtr hostAddress) : hostAddress_(std::move(hostAddress)) {}
  void startListening() override { listening_ = true; }
  Deferred<void> stopListening() override;
  AddressPtr getHost() const override { return hostAddress_; }
  /// True until stopListening().
  bool listening() const noexcept { return listening_; }

 private:
  AddressPtr hostAddress_;
  bool listening_ = true;
};

/// The connector a MemoryReactor returns: it records what it is told and never connects by
/// itself.  Twisted: _FakeConnector.
class FakeConnector : public IConnector {
 public:
  explicit FakeConnector(AddressPtr destination) : destination_(std::move(destination)) {}
  /// Sets stoppedConnecting().
  void stopConnecting() override { stoppedConnecting_ = true; }
  /// Sets disconnected().
  void disconnect() override { disconnected_ = true; }
  /// Counts the call and records a new connection attempt in the reactor that made this
  /// connector (a new tcpClients()/unixClients() entry, and startedConnecting again), as a real
  /// connector starts a new attempt.  Twisted's fake ignores it.
  void connect() override;
  AddressPtr getDestination() const override { return destination_; }

  bool stoppedConnecting() const noexcept { return stoppedConnecting_; }
  bool disconnected() const noexcept { return disconnected_; }
  /// How many times connect() was called (a ReconnectingClientFactory retrying calls it).
  int connectCalls() const noexcept { return connectCalls_; }

 private:
  friend class MemoryReactor;
  AddressPtr destination_;
  std::function<void()> reconnect_;
  bool stoppedConnecting_ = false;
  bool disconnected_ = false;
  int connectCalls_ = 0;
};

/// A listenTCP call.  Twisted: an entry of MemoryReactor.tcpServers.
struct TCPServer {
  int port;
  std::shared_ptr<IProtocolFactory> factory;
  int backlog;
  std::string interface;
  std::shared_ptr<FakePort> listeningPort;
  std::source_location where;
};

/// A connectTCP call.  Twisted: an entry of MemoryReactor.tcpClients.
struct TCPClient {
  std::string host;
  int port;
  std::shared_ptr<IClientFactory> factory;
  Seconds timeout;
  std::optional<BindAddress> bindAddress;
  std::shared_ptr<FakeConnector> connector;
  std::source_location where;
};

/// A listenUNIX call.
struct UNIXServer {
  std::string address;
  std::shared_ptr<IProtocolFactory> factory;
  int backlog;
  int mode;
  bool wantPID;
  std::shared_ptr<FakePort> listeningPort;
  std::source_location where;
};

/// A connectUNIX call.
struct UNIXClient {
  std::string address;
  std::shared_ptr<IClientFactory> factory;
  Seconds timeout;
  bool checkPID;
  std::shared_ptr<FakeConnector> connector;
  std::source_location where;
};

/// A listenUDP call: the protocol is connected to `transport`, so a test can feed it datagrams
/// and read what it sent.
struct UDPPort {
  int port;
  std::shared_ptr<DatagramProtocol> protocol;
  std::string interface;
  std::size_t maxPacketSize;
  std::shared_ptr<FakeDatagramTransport> transport;
  std::shared_ptr<IListeningPort> listeningPort;
  std::source_location where;
};

/// An adoptStreamPort / adoptStreamConnection / adoptDatagramPort call.
struct AdoptedSocket {
  int fileDescriptor;
  int addressFamily;
  std::shared_ptr<IProtocolFactory> factory;   ///< for stream sockets
  std::shared_ptr<DatagramProtocol> protocol;  ///< for datagram sockets
  std::size_t maxPacketSize = 0;
};

/// A system event trigger as recorded by a MemoryReactor (the reactors' own type).
using SystemEventTrigger = tw::SystemEventTrigger;

/// A reactor for tests that records every request and performs none.
///
///  - listen*: recorded (`tcpServers()`, `unixServers()`, `udpPorts()`); returns a FakePort
///    whose host is IPv4 "0.0.0.0":port (or IPv6 with the interface, if it is an IPv6 literal;
///    UNIXAddress for UNIX).  listenUDP also connects the protocol to a FakeDatagramTransport.
///  - connect*: recorded (`tcpClients()`, `unixClients()`) with a FakeConnector whose
///    destination reflects the arguments; the factory's `startedConnecting` is called at once;
///    the connection never completes by itself.
///  - run(): runs the callWhenRunning hooks in order, then stops.
///  - system events: triggers are recorded (`triggers()`) and `fireSystemEvent` runs them in
///    Twisted's three phases, waiting for the Deferreds of "before" triggers.
///  - descriptors: recorded in readers/writers sets.
///  - resolve: answers from `addHost()`'s table, else fails with tw::error::DNSLookupError.
///
/// Differs from Twisted: `hasRun()`, `hasStopped()`, `hasCrashed()` start false (Twisted's start
/// true); `stop()` when not running throws tw::error::ReactorNotRunning, as a real reactor does;
/// UDP is recorded (twisted#9695); `fireSystemEvent`, `removeSystemEventTrigger`, `resolve` and
/// `iterate` work instead of raising NotImplementedError; `callWhenRunning` while running calls
/// at once, as the interface says.
class MemoryReactor : public IReactorCore,
                      public IReactorTCP,
                      public IReactorUNIX,
                      public IReactorUDP,
                      public IReactorFDSet,
                      public IReactorSocket {
 public:
  MemoryReactor() = default;
  MemoryReactor(const MemoryReactor&) = delete;
  MemoryReactor& operator=(const MemoryReactor&) = delete;
  ~MemoryReactor() override = default;

  // --- records ------------------------------------------------------------------------------
  const std::vector<TCPServer>& tcpServers() const noexcept { return tcpServers_; }
  const std::vector<TCPClient>& tcpClients() const noexcept { return tcpClients_; }
  const std::vector<UNIXServer>& unixServers() const noexcept { return unixServers_; }
  const std::vector<UNIXClient>& unixClients() const noexcept { return unixClients_; }
  const std::vector<UDPPort>& udpPorts() const noexcept { return udpPorts_; }
  const std::vector<AdoptedSocket>& adoptedPorts() const noexcept { return adoptedPorts_; }
  const std::vector<AdoptedSocket>& adoptedStreamConnections() const noexcept {
    return adoptedStreamConnections_;
  }
  /// Removes and returns the `index`th connectTCP record (what ConnectionCompleter does when it
  /// completes or fails an attempt).  Its connector stays in connectors().
  /// @throws std::out_of_range for a bad index.
  TCPClient takeTCPClient(std::size_t index);

  /// Every connector returned, in order.  The reactor keeps them for its whole life, so a
  /// factory may keep using the connector it was given (e.g. to reconnect).
  ///
  /// Differs from Twisted: ConnectionCompleter does not remove completed connectors from this
  /// list (a ReconnectingClientFactory still points at them).
  const std::vector<std::shared_ptr<FakeConnector>>& connectors() const noexcept {
    return connectors_;
  }
  /// triggers()[phase][eventType]: the triggers added and neither removed nor run (firing an
  /// event consumes its triggers, as on a real reactor), in order.
  const detail::SystemEvents::Table& triggers() const noexcept { return events_.triggers(); }
  /// The hooks given to callWhenRunning before run().
  std::size_t whenRunningHookCount() const noexcept { return whenRunningHooks_.size(); }

  bool hasRun() const noexcept { return hasRun_; }
  bool hasStopped() const noexcept { return hasStopped_; }
  bool hasCrashed() const noexcept { return hasCrashed_; }

  /// Makes resolve(name) answer `address`.
  void addHost(std::string name, std::string address);

  // --- IReactorCore ---------------------------------------------------------------------------
  bool running() const override { return running_; }
  Deferred<std::string> resolve(std::string_view name, Seconds timeout) override;
  /// Sets running, runs the callWhenRunning hooks in order, then stop().
  /// @throws tw::error::ReactorAlreadyRunning if running.
  void run() override;
  /// @throws tw::error::ReactorNotRunning if not running.
  void stop() override;
  void crash() override;
  /// No I/O to wait for: does nothing (MemoryReactorClock runs the calls that are due).
  void iterate(Seconds delay = Seconds(0)) override;
  void fireSystemEvent(std::string_view eventType) override;
  void removeSystemEventTrigger(TriggerId id) override;
  std::optional<TriggerId> callWhenRunning(std::function<void()> f) override;

  // --- IReactorFDSet --------------------------------------------------------------------------
  void addReader(IReadDescriptor& reader) override { readers_.insert(&reader); }
  void addWriter(IWriteDescriptor& writer) override { writers_.insert(&writer); }
  void removeReader(IReadDescriptor& reader) override { readers_.erase(&reader); }
  void removeWriter(IWriteDescriptor& writer) override { writers_.erase(&writer); }
  std::vector<IFileDescriptor*> removeAll() override;
  std::vector<IReadDescriptor*> getReaders() const override;
  std::vector<IWriteDescriptor*> getWriters() const override;

  // --- IReactorSocket -------------------------------------------------------------------------
  std::shared_ptr<IListeningPort> adoptStreamPort(
      int fileDescriptor, int addressFamily, std::shared_ptr<IProtocolFactory> factory) override;
  void adoptStreamConnection(int fileDescriptor, int addressFamily,
                             std::shared_ptr<IProtocolFactory> factory) override;
  std::shared_ptr<IListeningPort> adoptDatagramPort(int fileDescriptor, int addressFamily,
                                                    std::shared_ptr<DatagramProtocol> protocol,
                                                    std::size_t maxPacketSize) override;

 protected:
  std::shared_ptr<IListeningPort> doListenTCP(int port, std::shared_ptr<IProtocolFactory> factory,
                                              int backlog, std::string_view interface,
                                              const std::source_location& where) override;
  std::shared_ptr<IConnector> doConnectTCP(std::string_view host, int port,
                                           std::shared_ptr<IClientFactory> factory, Seconds timeout,
                                           std::optional<BindAddress> bindAddress,
                                           const std::source_location& where) override;
  std::shared_ptr<IListeningPort> doListenUNIX(std::string address,
                                               std::shared_ptr<IProtocolFactory> factory,
                                               int backlog, int mode, bool wantPID,
                                               const std::source_location& where) override;
  std::shared_ptr<IConnector> doConnectUNIX(std::string address,
                                            std::shared_ptr<IClientFactory> factory,
                                            Seconds timeout, bool checkPID,
                                            const std::source_location& where) override;
  std::shared_ptr<IListeningPort> doListenUDP(int port, std::shared_ptr<DatagramProtocol> protocol,
                                              std::string_view interface, std::size_t maxPacketSize,
                                              const std::source_location& where) override;
  TriggerId doAddSystemEventTrigger(std::string_view phase, std::string_view eventType,
                                    std::function<Deferred<void>()> trigger) override;

 private:
  template <class Record>
  std::shared_ptr<IConnector> recordAttempt(std::vector<Record> MemoryReactor::*list, Record record,
                                            AddressPtr destination);

  std::vector<TCPServer> tcpServers_;
  std::vector<TCPClient> tcpClients_;
  std::vector<UNIXServer> unixServers_;
  std::vector<UNIXClient> unixClients_;
  std::vector<UDPPort> udpPorts_;
  std::vector<AdoptedSocket> adoptedPorts_;
  std::vector<AdoptedSocket> adoptedStreamConnections_;
  std::vector<std::shared_ptr<FakeConnector>> connectors_;
  detail::SystemEvents events_{Logger("tw.fakes.memory_reactor")};
  std::vector<std::function<void()>> whenRunningHooks_;
  std::set<IReadDescriptor*> readers_;
  std::set<IWriteDescriptor*> writers_;
  std::map<std::string, std::string, std::less<>> hosts_;
  std::shared_ptr<MemoryReactor*> self_ = std::make_shared<MemoryReactor*>(this);
  bool running_ = false;
  bool hasRun_ = false;
  bool hasStopped_ = false;
  bool hasCrashed_ = false;
};

/// A MemoryReactor that is also a Clock: record network requests and drive time.
/// Twisted: twisted.internet.testing.MemoryReactorClock.
class MemoryReactorClock : public MemoryReactor, public Clock {
 public:
  MemoryReactorClock() = default;
  /// Runs the delayed calls that are due now (advance(0)).
  void iterate(Seconds delay = Seconds(0)) override;
};

/// A reactor whose every listen* throws `listenException` and every connect* throws
/// `connectException` (null: tw::error::CannotListenError / tw::error::ConnectError), for
/// testing how code handles those failures.  Twisted:
/// twisted.internet.testing.RaisingMemoryReactor.
class RaisingMemoryReactor : public IReactorTCP,
                             public IReactorUNIX,
                             public IReactorUDP,
                             public IReactorSocket {
 public:
  explicit RaisingMemoryReactor(std::exception_ptr listenException = nullptr,
                                std::exception_ptr connectException = nullptr);

  std::shared_ptr<IListeningPort> adoptStreamPort(int, int,
                                                  std::shared_ptr<IProtocolFactory>) override;
  void adoptStreamConnection(int, int, std::shared_ptr<IProtocolFactory>) override;
  std::shared_ptr<IListeningPort> adoptDatagramPort(int, int, std::shared_ptr<DatagramProtocol>,
                                                    std::size_t) override;

 protected:
  std::shared_ptr<IListeningPort> doListenTCP(int, std::shared_ptr<IProtocolFactory>, int,
                                              std::string_view,
                                              const std::source_location&) override;
  std::shared_ptr<IConnector> doConnectTCP(std::string_view, int, std::shared_ptr<IClientFactory>,
                                           Seconds, std::optional<BindAddress>,
                                           const std::source_location&) override;
  std::shared_ptr<IListeningPort> doListenUNIX(std::string, std::shared_ptr<IProtocolFactory>, int,
                                               int, bool, const std::source_location&) override;
  std::shared_ptr<IConnector> doConnectUNIX(std::string, std::shared_ptr<IClientFactory>, Seconds,
                                            bool, const std::source_location&) override;
  std::shared_ptr<IListeningPort> doListenUDP(int, std::shared_ptr<DatagramProtocol>,
                                              std::string_view, std::size_t,
                                              const std::source_location&) override;

 private:
  [[noreturn]] void raiseListen() const;
  [[noreturn]] void raiseConnect() const;

  std::exception_ptr listenException_;
  std::exception_ptr connectException_;
};

}  // namespace tw::fakes
