/// @file
/// FakeTransport, IOPump, connect, ConnectionCompleter.  Tests: tests/fakes/iosim_test.cpp
#include "tw/fakes/iosim.hpp"

#include <atomic>
#include <stdexcept>
#include <typeinfo>

#include "tw/address.hpp"
#include "tw/error.hpp"
#include "tw/fakes/memory_reactor.hpp"

namespace tw::fakes {

namespace {
std::uint64_t nextSerial() {
  static std::atomic<std::uint64_t> counter{0};
  return counter++;
}
}  // namespace

FakeTransport::FakeTransport(std::shared_ptr<IProtocol> protocol, bool isServer,
                             AddressPtr hostAddress, AddressPtr peerAddress)
    : protocol_(std::move(protocol)),
      isServer_(isServer),
      hostAddress_(hostAddress ? std::move(hostAddress) : std::make_shared<FakeAddress>()),
      peerAddress_(peerAddress ? std::move(peerAddress) : std::make_shared<FakeAddress>()),
      serial_(nextSerial()),
      disconnectReason_(tw::error::ConnectionDone("Connection done")) {
  if (!protocol_) throw std::invalid_argument("FakeTransport: the protocol is null");
}

void FakeTransport::write(std::string_view data) {
  if (disconnecting_) {
    droppedBytes_ += data.size();
    return;
  }
  if (failCount_ != nullptr && failCount_->fail()) {
    droppedBytes_ += data.size();
    breakConnection(Failure(failCount_->error()));
    return;
  }
  stream_.append(data);
}

void FakeTransport::writeSequence(std::span<const std::string_view> data) {
  std::string joined;
  for (std::string_view piece : data) joined.append(piece);
  write(joined);
}

void FakeTransport::loseConnection() { disconnecting_ = true; }

void FakeTransport::breakConnection(Failure reason) {
  droppedBytes_ += stream_.size();
  stream_.clear();
  broke_ = true;
  disconnecting_ = true;
  disconnectReason_ = std::move(reason);
}

void FakeTransport::abortConnection() {
  if (broke_ || reported_) return;
  breakConnection(Failure(tw::error::ConnectionAborted()));
}

void FakeTransport::registerProducer(IProducer& producer, bool streaming) {
  if (producer_ != nullptr) {
    throw std::runtime_error("Cannot register producer: another producer is still registered");
  }
  if (streaming && dynamic_cast<IPushProducer*>(&producer) == nullptr) {
    throw std::invalid_argument("registerProducer: a streaming producer must be an IPushProducer");
  }
  auto* pull = dynamic_cast<IPullProducer*>(&producer);
  if (!streaming && pull == nullptr) {
    throw std::invalid_argument(
        "registerProducer: a non-streaming producer must be an IPullProducer");
  }
  producer_ = &producer;
  streaming_ = streaming;
  if (!streaming) pull->resumeProducing();
}

void FakeTransport::unregisterProducer() {
  producer_ = nullptr;
  streaming_ = false;
}

void FakeTransport::checkProducer() {
  if (producer_ != nullptr && !streaming_) {
    if (auto* pull = dynamic_cast<IPullProducer*>(producer_)) pull->resumeProducing();
  }
}

std::string FakeTransport::getOutBuffer() {
  std::string out;
  out.swap(stream_);
  return out;
}

void FakeTransport::bufferReceived(std::string_view data) {
  if (reported_ || disconnecting_) {
    droppedBytes_ += data.size();
    return;
  }
  if (paused_ || delivering_) {
    inbox_.append(data);
    return;
  }
  std::shared_ptr<IProtocol> keep = protocol_;
  delivering_ = true;
  try {
    keep->dataReceived(data);
  } catch (...) {
    delivering_ = false;
    throw;
  }
  delivering_ = false;
  if (!paused_ && !inbox_.empty()) resumeProducing();
}

void FakeTransport::resumeProducing() {
  paused_ = false;
  if (delivering_ || inbox_.empty()) return;
  std::string pending;
  pending.swap(inbox_);
  bufferReceived(pending);
}

void FakeTransport::reportDisconnect() {
  if (reported_) return;
  reported_ = true;
  inbox_.clear();
  std::shared_ptr<IProtocol> keep = protocol_;
  if (producer_ != nullptr) {
    IProducer* producer = producer_;
    producer_ = nullptr;
    producer->stopProducing();
  }
  Failure reason = disconnectReason_;
  keep->connectionLost(reason);
  if (lostHook_) {
    auto hook = std::move(lostHook_);
    lostHook_ = nullptr;
    hook(reason);
  }
}

std::string FakeTransport::repr() const {
  const IProtocol& p = *protocol_;
  return std::string("FakeTransport<") + (isServer_ ? "S" : "C") + "," + std::to_string(serial_) +
         "," + shortTypeName(typeid(p)) + ">";
}

IOPump::IOPump(std::shared_ptr<IProtocol> client, std::shared_ptr<IProtocol> server,
               std::shared_ptr<FakeTransport> clientIO, std::shared_ptr<FakeTransport> serverIO,
               Clock* clock)
    : client_(std::move(client)),
      server_(std::move(server)),
      clientIO_(std::move(clientIO)),
      serverIO_(std::move(serverIO)),
      clock_(clock) {}

namespace {
// Passes the close of `from` on to `to`: `to`'s protocol learns the connection is gone.
void propagate(FakeTransport& from, FakeTransport& to) {
  if (from.brokeConnection() && !to.brokeConnection()) {
    to.setDisconnectReason(Failure(tw::error::ConnectionLost()));
  }
  to.loseConnection();
  to.reportDisconnect();
}
}  // namespace

bool IOPump::pump() {
  // Keep both ends alive: a callback may drop the last other reference to them.
  std::shared_ptr<FakeTransport> c = clientIO_;
  std::shared_ptr<FakeTransport> s = serverIO_;
  if (clock_ != nullptr) clock_->advance(Seconds(0));
  std::string sData = s->getOutBuffer();
  std::string cData = c->getOutBuffer();
  c->checkProducer();
  s->checkProducer();
  if (!cData.empty()) s->bufferReceived(cData);
  if (!sData.empty()) c->bufferReceived(sData);
  if (!cData.empty() || !sData.empty()) return true;
  if (s->disconnecting() && !s->disconnected_) {
    s->disconnected_ = true;
    propagate(*s, *c);
    return true;
  }
  if (c->disconnecting() && !c->disconnected_) {
    c->disconnected_ = true;
    propagate(*c, *s);
    return true;
  }
  return false;
}

bool IOPump::flush() {
  bool result = false;
  for (int round = 0; round < 1000; ++round) {
    if (!pump()) return result;
    result = true;
  }
  throw std::runtime_error(
      "Too long: IOPump::flush pumped 1000 rounds and the protocols are still talking");
}

IOPump connect(std::shared_ptr<IProtocol> serverProtocol,
               std::shared_ptr<FakeTransport> serverTransport,
               std::shared_ptr<IProtocol> clientProtocol,
               std::shared_ptr<FakeTransport> clientTransport, bool greet, Clock* clock) {
  serverProtocol->makeConnection(*serverTransport);
  clientProtocol->makeConnection(*clientTransport);
  IOPump pump(std::move(clientProtocol), std::move(serverProtocol), std::move(clientTransport),
              std::move(serverTransport), clock);
  if (greet) pump.flush();
  return pump;
}

std::optional<IOPump> ConnectionCompleter::succeedOnce(Clock* clock) {
  const auto& clients = reactor_.tcpClients();
  for (std::size_t i = 0; i < clients.size(); ++i) {
    const TCPServer* server = nullptr;
    for (const auto& s : reactor_.tcpServers()) {
      if (s.port == clients[i].port && s.listeningPort->listening()) {
        server = &s;
        break;
      }
    }
    if (server == nullptr) continue;
    std::shared_ptr<IProtocolFactory> serverFactory = server->factory;
    TCPClient client = reactor_.takeTCPClient(i);
    IConnector& connector = *client.connector;
    if (failCount_ != nullptr && failCount_->fail()) {
      client.factory->clientConnectionFailed(connector, Failure(failCount_->error()));
      return std::nullopt;
    }
    std::string host = isIPAddress(client.host) ? client.host : "127.0.0.1";
    AddressPtr serverAddr = std::make_shared<IPv4Address>("TCP", host, client.port);
    AddressPtr clientAddr = std::make_shared<IPv4Address>("TCP", "127.0.0.1", nextPort_++);
    std::shared_ptr<IProtocol> clientProtocol = client.factory->buildProtocol(*serverAddr);
    std::shared_ptr<IProtocol> serverProtocol = serverFactory->buildProtocol(*clientAddr);
    if (!clientProtocol || !serverProtocol) {
      client.factory->clientConnectionFailed(
          connector, Failure(tw::error::ConnectionRefusedError(
                         std::error_code{}, "the factory refused the connection")));
      return std::nullopt;
    }
    auto serverIO = std::make_shared<FakeTransport>(serverProtocol, true, serverAddr, clientAddr);
    auto clientIO = std::make_shared<FakeTransport>(clientProtocol, false, clientAddr, serverAddr);
    clientIO->setConnectionLostHook(
        [factory = client.factory, keep = client.connector](const Failure& reason) {
          factory->clientConnectionLost(*keep, reason);
        });
    return connect(serverProtocol, serverIO, clientProtocol, clientIO, true, clock);
  }
  return std::nullopt;
}

bool ConnectionCompleter::failOnce(std::optional<Failure> reason) {
  if (reactor_.tcpClients().empty()) return false;
  TCPClient client = reactor_.takeTCPClient(0);
  client.factory->clientConnectionFailed(
      *client.connector, reason ? *reason : Failure(tw::error::ConnectionRefusedError()));
  return true;
}

}  // namespace tw::fakes
