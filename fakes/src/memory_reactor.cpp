/// @file
/// MemoryReactor, MemoryReactorClock, RaisingMemoryReactor.
/// Tests: tests/fakes/memory_reactor_test.cpp
#include "tw/fakes/memory_reactor.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <stdexcept>

#include "tw/address.hpp"
#include "tw/error.hpp"
#include "tw/logger.hpp"

namespace tw::fakes {

namespace {

AddressPtr tcpListenAddress(int port, std::string_view interface, const char* type) {
  if (isIPv6Address(interface)) {
    return std::make_shared<IPv6Address>(type, std::string(interface), port);
  }
  return std::make_shared<IPv4Address>(type, "0.0.0.0", port);
}

AddressPtr tcpDestination(std::string_view host, int port) {
  if (isIPv6Address(host)) return std::make_shared<IPv6Address>("TCP", std::string(host), port);
  return std::make_shared<IPv4Address>("TCP", std::string(host), port);
}

AddressPtr adoptedAddress(int addressFamily, const char* type) {
  if (addressFamily == AF_INET) return std::make_shared<IPv4Address>(type, "0.0.0.0", 1234);
  if (addressFamily == AF_INET6) return std::make_shared<IPv6Address>(type, "::", 1234);
  throw error::UnsupportedAddressFamily(std::to_string(addressFamily));
}

// The listening port of a fake UDP socket: stopping it stops the protocol.
class FakeUDPPort : public IListeningPort {
 public:
  FakeUDPPort(std::shared_ptr<DatagramProtocol> protocol,
              std::shared_ptr<FakeDatagramTransport> transport)
      : protocol_(std::move(protocol)), transport_(std::move(transport)) {}
  void startListening() override {}
  Deferred<void> stopListening() override {
    if (listening_) {
      listening_ = false;
      protocol_->doStop();
      return transport_->stopListening();
    }
    return succeed();
  }
  AddressPtr getHost() const override { return transport_->getHost(); }

 private:
  std::shared_ptr<DatagramProtocol> protocol_;
  std::shared_ptr<FakeDatagramTransport> transport_;
  bool listening_ = true;
};

}  // namespace

void FakeConnector::connect() {
  ++connectCalls_;
  if (reconnect_) reconnect_();
}

Deferred<void> FakePort::stopListening() {
  listening_ = false;
  return succeed();
}

TCPClient MemoryReactor::takeTCPClient(std::size_t index) {
  if (index >= tcpClients_.size()) throw std::out_of_range("takeTCPClient: no such record");
  TCPClient record = std::move(tcpClients_[index]);
  tcpClients_.erase(tcpClients_.begin() + static_cast<std::ptrdiff_t>(index));
  return record;
}

void MemoryReactor::addHost(std::string name, std::string address) {
  hosts_[std::move(name)] = std::move(address);
}

Deferred<std::string> MemoryReactor::resolve(std::string_view name, Seconds /*timeout*/) {
  if (isIPAddress(name)) return succeed(std::string(name));
  auto it = hosts_.find(name);
  if (it == hosts_.end()) {
    return fail<std::string>(error::DNSLookupError(std::string(name)));
  }
  return succeed(it->second);
}

void MemoryReactor::run() {
  if (running_) throw error::ReactorAlreadyRunning();
  running_ = true;
  hasRun_ = true;
  std::vector<std::function<void()>> hooks = std::move(whenRunningHooks_);
  whenRunningHooks_.clear();
  for (auto& hook : hooks) hook();
  if (running_) stop();
}

void MemoryReactor::stop() {
  if (!running_) throw error::ReactorNotRunning();
  running_ = false;
  hasStopped_ = true;
}

void MemoryReactor::crash() {
  running_ = false;
  hasCrashed_ = true;
}

void MemoryReactor::iterate(Seconds /*delay*/) {}

std::optional<TriggerId> MemoryReactor::callWhenRunning(std::function<void()> f) {
  if (running_) {
    f();
    return std::nullopt;
  }
  whenRunningHooks_.push_back(std::move(f));
  return events_.newId();
}

TriggerId MemoryReactor::doAddSystemEventTrigger(std::string_view phase, std::string_view eventType,
                                                 std::function<Deferred<void>()> trigger) {
  return events_.add(phase, eventType, std::move(trigger));
}

void MemoryReactor::removeSystemEventTrigger(TriggerId id) { events_.remove(id); }

void MemoryReactor::fireSystemEvent(std::string_view eventType) { events_.fire(eventType); }

std::vector<IFileDescriptor*> MemoryReactor::removeAll() {
  std::vector<IFileDescriptor*> out;
  for (IReadDescriptor* r : readers_) out.push_back(r);
  for (IWriteDescriptor* w : writers_) {
    IFileDescriptor* f = w;
    if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
  }
  readers_.clear();
  writers_.clear();
  return out;
}

std::vector<IReadDescriptor*> MemoryReactor::getReaders() const {
  return {readers_.begin(), readers_.end()};
}

std::vector<IWriteDescriptor*> MemoryReactor::getWriters() const {
  return {writers_.begin(), writers_.end()};
}

std::shared_ptr<IListeningPort> MemoryReactor::adoptStreamPort(
    int fileDescriptor, int addressFamily, std::shared_ptr<IProtocolFactory> factory) {
  AddressPtr addr = adoptedAddress(addressFamily, "TCP");
  adoptedPorts_.push_back({fileDescriptor, addressFamily, std::move(factory), nullptr, 0});
  return std::make_shared<FakePort>(std::move(addr));
}

void MemoryReactor::adoptStreamConnection(int fileDescriptor, int addressFamily,
                                          std::shared_ptr<IProtocolFactory> factory) {
  adoptedStreamConnections_.push_back(
      {fileDescriptor, addressFamily, std::move(factory), nullptr, 0});
}

std::shared_ptr<IListeningPort> MemoryReactor::adoptDatagramPort(
    int fileDescriptor, int addressFamily, std::shared_ptr<DatagramProtocol> protocol,
    std::size_t maxPacketSize) {
  AddressPtr addr = adoptedAddress(addressFamily, "UDP");
  adoptedPorts_.push_back(
      {fileDescriptor, addressFamily, nullptr, std::move(protocol), maxPacketSize});
  return std::make_shared<FakePort>(std::move(addr));
}

std::shared_ptr<IListeningPort> MemoryReactor::doListenTCP(
    int port, std::shared_ptr<IProtocolFactory> factory, int backlog, std::string_view interface,
    const std::source_location& where) {
  auto listening = std::make_shared<FakePort>(tcpListenAddress(port, interface, "TCP"));
  tcpServers_.push_back(
      {port, std::move(factory), backlog, std::string(interface), listening, where});
  return listening;
}

template <class Record>
std::shared_ptr<IConnector> MemoryReactor::recordAttempt(std::vector<Record> MemoryReactor::*list,
                                                         Record record, AddressPtr destination) {
  auto connector = std::make_shared<FakeConnector>(std::move(destination));
  // The connector's connect() records a new attempt with the same arguments; it holds the
  // reactor and the connector weakly (no cycle, and no effect once either is gone).
  std::weak_ptr<MemoryReactor*> reactor = self_;
  std::weak_ptr<FakeConnector> weakConnector = connector;
  connector->reconnect_ = [reactor, weakConnector, list, record] {
    auto self = reactor.lock();
    auto c = weakConnector.lock();
    if (!self || !c) return;
    Record again = record;
    again.connector = c;
    ((*self)->*list).push_back(std::move(again));
    record.factory->startedConnecting(*c);
  };
  std::shared_ptr<IClientFactory> factory = record.factory;
  record.connector = connector;
  (this->*list).push_back(std::move(record));
  connectors_.push_back(connector);
  factory->startedConnecting(*connector);
  return connector;
}

std::shared_ptr<IConnector> MemoryReactor::doConnectTCP(std::string_view host, int port,
                                                        std::shared_ptr<IClientFactory> factory,
                                                        Seconds timeout,
                                                        std::optional<BindAddress> bindAddress,
                                                        const std::source_location& where) {
  return recordAttempt(&MemoryReactor::tcpClients_,
                       TCPClient{std::string(host), port, std::move(factory), timeout,
                                 std::move(bindAddress), nullptr, where},
                       tcpDestination(host, port));
}

std::shared_ptr<IListeningPort> MemoryReactor::doListenUNIX(
    std::string address, std::shared_ptr<IProtocolFactory> factory, int backlog, int mode,
    bool wantPID, const std::source_location& where) {
  auto listening = std::make_shared<FakePort>(std::make_shared<UNIXAddress>(address));
  unixServers_.push_back(
      {std::move(address), std::move(factory), backlog, mode, wantPID, listening, where});
  return listening;
}

std::shared_ptr<IConnector> MemoryReactor::doConnectUNIX(std::string address,
                                                         std::shared_ptr<IClientFactory> factory,
                                                         Seconds timeout, bool checkPID,
                                                         const std::source_location& where) {
  AddressPtr destination = std::make_shared<UNIXAddress>(address);
  return recordAttempt(
      &MemoryReactor::unixClients_,
      UNIXClient{std::move(address), std::move(factory), timeout, checkPID, nullptr, where},
      std::move(destination));
}

std::shared_ptr<IListeningPort> MemoryReactor::doListenUDP(
    int port, std::shared_ptr<DatagramProtocol> protocol, std::string_view interface,
    std::size_t maxPacketSize, const std::source_location& where) {
  auto transport =
      std::make_shared<FakeDatagramTransport>(tcpListenAddress(port, interface, "UDP"));
  auto listening = std::make_shared<FakeUDPPort>(protocol, transport);
  udpPorts_.push_back(
      {port, protocol, std::string(interface), maxPacketSize, transport, listening, where});
  protocol->makeConnection(*transport);
  return listening;
}

void MemoryReactorClock::iterate(Seconds /*delay*/) { advance(Seconds(0)); }

RaisingMemoryReactor::RaisingMemoryReactor(std::exception_ptr listenException,
                                           std::exception_ptr connectException)
    : listenException_(listenException
                           ? std::move(listenException)
                           : std::make_exception_ptr(error::CannotListenError(
                                 "", "0", std::make_error_code(std::errc::address_in_use)))),
      connectException_(connectException ? std::move(connectException)
                                         : std::make_exception_ptr(error::ConnectError())) {}

void RaisingMemoryReactor::raiseListen() const { std::rethrow_exception(listenException_); }
void RaisingMemoryReactor::raiseConnect() const { std::rethrow_exception(connectException_); }

std::shared_ptr<IListeningPort> RaisingMemoryReactor::adoptStreamPort(
    int, int, std::shared_ptr<IProtocolFactory>) {
  raiseListen();
}
void RaisingMemoryReactor::adoptStreamConnection(int, int, std::shared_ptr<IProtocolFactory>) {
  raiseConnect();
}
std::shared_ptr<IListeningPort> RaisingMemoryReactor::adoptDatagramPort(
    int, int, std::shared_ptr<DatagramProtocol>, std::size_t) {
  raiseConnect();
}
std::shared_ptr<IListeningPort> RaisingMemoryReactor::doListenTCP(int,
                                                                  std::shared_ptr<IProtocolFactory>,
                                                                  int, std::string_view,
                                                                  const std::source_location&) {
  raiseListen();
}
std::shared_ptr<IConnector> RaisingMemoryReactor::doConnectTCP(std::string_view, int,
                                                               std::shared_ptr<IClientFactory>,
                                                               Seconds, std::optional<BindAddress>,
                                                               const std::source_location&) {
  raiseConnect();
}
std::shared_ptr<IListeningPort> RaisingMemoryReactor::doListenUNIX(
    std::string, std::shared_ptr<IProtocolFactory>, int, int, bool, const std::source_location&) {
  raiseListen();
}
std::shared_ptr<IConnector> RaisingMemoryReactor::doConnectUNIX(std::string,
                                                                std::shared_ptr<IClientFactory>,
                                                                Seconds, bool,
                                                                const std::source_location&) {
  raiseConnect();
}
std::shared_ptr<IListeningPort> RaisingMemoryReactor::doListenUDP(int,
                                                                  std::shared_ptr<DatagramProtocol>,
                                                                  std::string_view, std::size_t,
                                                                  const std::source_location&) {
  raiseListen();
}

}  // namespace tw::fakes
