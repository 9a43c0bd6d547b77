/// @file
/// The transport contract (transport_contract.hpp) instantiated for every fake transport:
/// StringTransport, StringTransportWithDisconnection, FakeTransport and ProtocolWrapper.
#include "transport_contract.hpp"

#include <memory>
#include <string>

#include "tw/fakes/iosim.hpp"
#include "tw/fakes/string_transport.hpp"
#include "tw/protocol_wrapper.hpp"

namespace {

using tw::contract::RecordingProtocol;

struct StringTransportHarness {
  StringTransportHarness() { proto->makeConnection(t); }
  tw::ITCPTransport& transport() { return t; }
  RecordingProtocol& protocol() { return *proto; }
  std::string written() { return t.value(); }
  std::shared_ptr<RecordingProtocol> proto = std::make_shared<RecordingProtocol>();
  tw::fakes::StringTransport t;
};

struct DisconnectingHarness {
  DisconnectingHarness() {
    t.setProtocol(*proto);
    proto->makeConnection(t);
  }
  tw::ITCPTransport& transport() { return t; }
  RecordingProtocol& protocol() { return *proto; }
  std::string written() { return t.value(); }
  std::shared_ptr<RecordingProtocol> proto = std::make_shared<RecordingProtocol>();
  tw::fakes::StringTransportWithDisconnection t;
};

// A FakeTransport whose peer is a RecordingProtocol; written() pumps and reads what the peer
// received.
struct FakeTransportHarness {
  FakeTransportHarness()
      : pump(tw::fakes::connect(peer, std::make_shared<tw::fakes::FakeTransport>(peer, true), proto,
                                std::make_shared<tw::fakes::FakeTransport>(proto, false), false)) {}
  tw::ITCPTransport& transport() { return pump.clientIO(); }
  RecordingProtocol& protocol() { return *proto; }
  std::string written() {
    for (int i = 0; i < 10 && pump.pump();) ++i;
    return peer->received;
  }
  std::shared_ptr<RecordingProtocol> proto = std::make_shared<RecordingProtocol>();
  std::shared_ptr<RecordingProtocol> peer = std::make_shared<RecordingProtocol>();
  tw::fakes::IOPump pump;
};

// A ProtocolWrapper over a StringTransport: the wrapped protocol sees the wrapper as its
// transport.
struct ProtocolWrapperHarness {
  ProtocolWrapperHarness() { wrapper->makeConnection(t); }
  tw::ITCPTransport& transport() { return *wrapper; }
  RecordingProtocol& protocol() { return *proto; }
  std::string written() { return t.value(); }
  std::shared_ptr<RecordingProtocol> proto = std::make_shared<RecordingProtocol>();
  std::shared_ptr<tw::WrappingFactory> factory =
      std::make_shared<tw::WrappingFactory>(tw::Factory::forProtocol<RecordingProtocol>());
  std::shared_ptr<tw::ProtocolWrapper> wrapper =
      std::make_shared<tw::ProtocolWrapper>(*factory, proto);
  tw::fakes::StringTransport t;
};

}  // namespace

namespace tw::contract {
using Harnesses = ::testing::Types<StringTransportHarness, DisconnectingHarness,
                                   FakeTransportHarness, ProtocolWrapperHarness>;
INSTANTIATE_TYPED_TEST_SUITE_P(Fakes, TransportContract, Harnesses);
}  // namespace tw::contract
