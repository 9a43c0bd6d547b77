/// @file
/// The endpoint description grammar and the prefix registry behind serverFromString and
/// clientFromString.  Twisted: twisted.internet.endpoints (_tokenize, _parse, serverFromString,
/// clientFromString, quoteStringArgument).  Tests: tests/runtime/endpoints_test.cpp,
/// tests/runtime/endpoints_property_test.cpp
#include <cctype>
#include <charconv>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "tw/endpoints.hpp"

namespace tw {

// --- the grammar --------------------------------------------------------------------------------

EndpointDescription parseEndpointDescription(std::string_view description) {
  // Twisted's _tokenize and _parse in one pass: `segment` gathers the strings of one
  // ':'-separated argument (one string: positional; two: keyword name and value).
  EndpointDescription out;
  std::vector<std::string> segment;
  std::string current;
  bool afterEquals = false;  // after '=', only ':' is an operator
  auto endSegment = [&] {
    segment.push_back(std::move(current));
    current.clear();
    if (segment.size() == 1) {
      out.args.push_back(std::move(segment[0]));
    } else {
      out.kwargs.insert_or_assign(std::move(segment[0]), std::move(segment[1]));
    }
    segment.clear();
    afterEquals = false;
  };
  for (std::size_t i = 0; i < description.size(); ++i) {
    const char c = description[i];
    if (c == ':') {
      endSegment();
    } else if (c == '=' && !afterEquals) {
      segment.push_back(std::move(current));
      current.clear();
      afterEquals = true;
    } else if (c == '\\') {
      if (i + 1 < description.size()) {
        current += description[++i];
      } else {
        current += '\\';
      }
    } else {
      current += c;
    }
  }
  endSegment();
  return out;
}

std::string quoteStringArgument(std::string_view argument) {
  std::string out;
  out.reserve(argument.size());
  for (char c : argument) {
    if (c == '\\' || c == ':' || c == '=') out += '\\';
    out += c;
  }
  return out;
}

// --- argument checking --------------------------------------------------------------------------

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

[[noreturn]] void bad(std::string_view prefix, const std::string& what) {
  throw std::invalid_argument(std::string(prefix) + ": " + what);
}

int parseInteger(std::string_view prefix, std::string_view name, const std::string& text,
                 int base = 10) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    bad(prefix, "invalid value for " + std::string(name) + ": '" + text + "' (expected " +
                    (base == 8 ? "an octal integer" : "an integer") + ")");
  }
  return value;
}

int checkPort(std::string_view prefix, std::string_view name, int p) {
  if (p < 0 || p > 65535) {
    bad(prefix, "invalid value for " + std::string(name) + ": " + std::to_string(p) +
                    " (expected 0 to 65535)");
  }
  return p;
}

/// The parameters of one prefix, bound from positional and keyword arguments as Python binds a
/// call's arguments.
class Arguments {
 public:
  /// @param names  the parameters in positional order.
  Arguments(std::string_view prefix, const EndpointDescription& d,
            std::initializer_list<std::string_view> names)
      : prefix_(prefix) {
    std::vector<std::string_view> order(names);
    if (d.args.size() > order.size()) {
      bad(prefix, "too many positional arguments (" + std::to_string(d.args.size()) + ", at most " +
                      std::to_string(order.size()) + ")");
    }
    for (std::size_t i = 0; i < d.args.size(); ++i) values_[std::string(order[i])] = d.args[i];
    for (const auto& [name, value] : d.kwargs) {
      bool known = false;
      for (std::string_view n : order) known = known || n == name;
      if (!known) bad(prefix, "unknown parameter '" + name + "'");
      if (values_.contains(name)) bad(prefix, "parameter '" + name + "' given twice");
      values_[name] = value;
    }
  }

  bool has(std::string_view name) const { return values_.find(name) != values_.end(); }

  const std::string& string(std::string_view name) const {
    auto it = values_.find(name);
    if (it == values_.end()) bad(prefix_, "missing parameter '" + std::string(name) + "'");
    return it->second;
  }

  std::string string(std::string_view name, std::string fallback) const {
    return has(name) ? string(name) : std::move(fallback);
  }

  int integer(std::string_view name, int base = 10) const {
    return parseInteger(prefix_, name, string(name), base);
  }

  int integer(std::string_view name, int fallback, int base) const {
    return has(name) ? integer(name, base) : fallback;
  }

  int port(std::string_view name) const { return checkPort(prefix_, name, integer(name)); }

  Seconds seconds(std::string_view name, Seconds fallback) const {
    if (!has(name)) return fallback;
    const std::string& text = string(name);
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0) {
      bad(prefix_, "invalid value for " + std::string(name) + ": '" + text +
                       "' (expected a number of seconds)");
    }
    return Seconds(value);
  }

  bool flag(std::string_view name, bool fallback) const {
    return has(name) ? integer(name) != 0 : fallback;
  }

 private:
  std::string_view prefix_;
  std::map<std::string, std::string, std::less<>> values_;
};

template <class Interface>
Interface& capability(IReactorCore& reactor, std::string_view prefix, const char* name) {
  auto* r = dynamic_cast<Interface*>(&reactor);
  if (r == nullptr) {
    bad(prefix,
        std::string("the reactor does not implement ") + name + ", which this endpoint type needs");
  }
  return *r;
}

// --- the built-in parsers -----------------------------------------------------------------------

template <class Endpoint>
std::shared_ptr<IStreamServerEndpoint> parseServerTCP(IReactorCore& reactor,
                                                      const EndpointDescription& d,
                                                      std::string_view prefix,
                                                      std::string defaultInterface) {
  Arguments a(prefix, d, {"port", "interface", "backlog"});
  const int port = a.port("port");
  const int backlog = a.integer("backlog", 50, 10);
  std::string interface = a.string("interface", std::move(defaultInterface));
  return std::make_shared<Endpoint>(capability<IReactorTCP>(reactor, prefix, "IReactorTCP"), port,
                                    backlog, std::move(interface));
}

std::shared_ptr<IStreamServerEndpoint> parseServerUNIX(IReactorCore& reactor,
                                                       const EndpointDescription& d) {
  Arguments a("unix", d, {"address", "mode", "backlog", "lockfile"});
  std::string address = a.string("address");
  const int mode = a.integer("mode", 0666, 8);
  const int backlog = a.integer("backlog", 50, 10);
  const bool wantPID = a.flag("lockfile", true);
  return std::make_shared<UNIXServerEndpoint>(
      capability<IReactorUNIX>(reactor, "unix", "IReactorUNIX"), std::move(address), backlog, mode,
      wantPID);
}

std::optional<BindAddress> parseBindAddress(std::string_view prefix, const Arguments& a) {
  if (!a.has("bindAddress")) return std::nullopt;
  const std::string& text = a.string("bindAddress");
  const auto comma = text.rfind(',');
  if (comma == std::string::npos) return BindAddress{text, 0};
  const int port = checkPort(prefix, "bindAddress port",
                             parseInteger(prefix, "bindAddress port", text.substr(comma + 1)));
  return BindAddress{text.substr(0, comma), port};
}

template <class Endpoint>
std::shared_ptr<IStreamClientEndpoint> parseClientTCP(IReactorCore& reactor,
                                                      const EndpointDescription& d,
                                                      std::string_view prefix) {
  // Twisted's _parseClientTCP: "HOST:PORT", or one positional that is the port when host= is
  // given and the host otherwise.
  EndpointDescription named{{}, d.kwargs};
  if (d.args.size() == 2) {
    named.kwargs.insert_or_assign("host", d.args[0]);
    named.kwargs.insert_or_assign("port", d.args[1]);
  } else if (d.args.size() == 1) {
    named.kwargs.insert_or_assign(d.kwargs.contains("host") ? "port" : "host", d.args[0]);
  } else if (d.args.size() > 2) {
    bad(prefix, "too many positional arguments (" + std::to_string(d.args.size()) +
                    ", at most 2: host and port)");
  }
  Arguments a(prefix, named, {"host", "port", "timeout", "bindAddress"});
  std::string host = a.string("host");
  const int port = a.port("port");
  const Seconds timeout = a.seconds("timeout", std::chrono::seconds(30));
  auto bindAddress = parseBindAddress(prefix, a);
  return std::make_shared<Endpoint>(capability<IReactorTCP>(reactor, prefix, "IReactorTCP"),
                                    std::move(host), port, timeout, std::move(bindAddress));
}

std::shared_ptr<IStreamClientEndpoint> parseClientUNIX(IReactorCore& reactor,
                                                       const EndpointDescription& d) {
  if (d.args.size() > 1) {
    bad("unix", "too many positional arguments (" + std::to_string(d.args.size()) + ", at most 1)");
  }
  Arguments a("unix", d, {"path", "timeout", "lockfile", "checkPID"});
  if (a.has("lockfile") && a.has("checkPID")) bad("unix", "give lockfile or checkPID, not both");
  std::string path = a.string("path");
  const Seconds timeout = a.seconds("timeout", std::chrono::seconds(30));
  const bool checkPID = a.flag("lockfile", a.flag("checkPID", false));
  return std::make_shared<UNIXClientEndpoint>(
      capability<IReactorUNIX>(reactor, "unix", "IReactorUNIX"), std::move(path), timeout,
      checkPID);
}

// --- the registry -------------------------------------------------------------------------------

struct Registry {
  std::mutex mutex;
  std::map<std::string, ServerEndpointParser, std::less<>> servers;
  std::map<std::string, ClientEndpointParser, std::less<>> clients;

  Registry() {
    servers["tcp"] = [](IReactorCore& r, const EndpointDescription& d) {
      return parseServerTCP<TCP4ServerEndpoint>(r, d, "tcp", "");
    };
    servers["tcp6"] = [](IReactorCore& r, const EndpointDescription& d) {
      return parseServerTCP<TCP6ServerEndpoint>(r, d, "tcp6", "::");
    };
    servers["unix"] = parseServerUNIX;
    clients["tcp"] = [](IReactorCore& r, const EndpointDescription& d) {
      return parseClientTCP<TCP4ClientEndpoint>(r, d, "tcp");
    };
    clients["tcp6"] = [](IReactorCore& r, const EndpointDescription& d) {
      return parseClientTCP<TCP6ClientEndpoint>(r, d, "tcp6");
    };
    clients["unix"] = parseClientUNIX;
  }
};

Registry& registry() {
  static Registry r;
  return r;
}

std::string checkedPrefix(std::string_view prefix) {
  if (prefix.empty() || prefix.find(':') != std::string_view::npos) {
    throw std::invalid_argument("endpoint prefix must be non-empty and without ':': '" +
                                std::string(prefix) + "'");
  }
  return lower(prefix);
}

template <class Parser>
void add(std::map<std::string, Parser, std::less<>>& parsers, std::string_view prefix,
         Parser parser) {
  if (!parser) throw std::invalid_argument("endpoint parser must not be empty");
  std::string key = checkedPrefix(prefix);
  std::lock_guard lock(registry().mutex);
  if (parsers.contains(key)) {
    throw std::invalid_argument("endpoint prefix already registered: '" + key + "'");
  }
  parsers.emplace(std::move(key), std::move(parser));
}

template <class Parser>
bool remove(std::map<std::string, Parser, std::less<>>& parsers, std::string_view prefix) {
  std::lock_guard lock(registry().mutex);
  return parsers.erase(lower(prefix)) > 0;
}

/// Splits off the prefix and finds its parser.
template <class Parser>
std::pair<Parser, EndpointDescription> lookup(std::map<std::string, Parser, std::less<>>& parsers,
                                              std::string_view description) {
  EndpointDescription d = parseEndpointDescription(description);
  // No positional argument at all ("k=v") means no type.
  if (d.args.empty()) {
    throw std::invalid_argument("endpoint description has no type: '" + std::string(description) +
                                "'");
  }
  const std::string type = lower(d.args.front());
  Parser parser;
  {
    std::lock_guard lock(registry().mutex);
    auto it = parsers.find(type);
    if (it == parsers.end()) {
      throw std::invalid_argument("Unknown endpoint type: '" + type + "'");
    }
    parser = it->second;
  }
  d.args.erase(d.args.begin());
  return {std::move(parser), std::move(d)};
}

}  // namespace

void registerServerEndpointParser(std::string_view prefix, ServerEndpointParser parser) {
  add(registry().servers, prefix, std::move(parser));
}

bool unregisterServerEndpointParser(std::string_view prefix) {
  return remove(registry().servers, prefix);
}

void registerClientEndpointParser(std::string_view prefix, ClientEndpointParser parser) {
  add(registry().clients, prefix, std::move(parser));
}

bool unregisterClientEndpointParser(std::string_view prefix) {
  return remove(registry().clients, prefix);
}

std::shared_ptr<IStreamServerEndpoint> serverFromString(IReactorCore& reactor,
                                                        std::string_view description) {
  auto [parser, arguments] = lookup(registry().servers, description);
  auto endpoint = parser(reactor, arguments);
  if (!endpoint) throw std::invalid_argument("endpoint parser returned no endpoint");
  return endpoint;
}

std::shared_ptr<IStreamClientEndpoint> clientFromString(IReactorCore& reactor,
                                                        std::string_view description) {
  auto [parser, arguments] = lookup(registry().clients, description);
  auto endpoint = parser(reactor, arguments);
  if (!endpoint) throw std::invalid_argument("endpoint parser returned no endpoint");
  return endpoint;
}

}  // namespace tw
