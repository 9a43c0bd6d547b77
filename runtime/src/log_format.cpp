/// @file
/// Logging: PEP 3101-style `{name}` substitution of event fields, and Twisted's fallback text.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "tw/logger.hpp"

namespace tw {

namespace {

std::string quoted(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    switch (c) {
      case '\'':
        out += "\\'";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  out += "'";
  return out;
}

std::size_t codePoints(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

/// The first `count` code points of `text`.
std::string_view prefixCodePoints(std::string_view text, std::size_t count) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (seen == count) return text.substr(0, i);
      ++seen;
    }
  }
  return text;
}

bool isAlign(char c) { return c == '<' || c == '>' || c == '^' || c == '='; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

/// Applies a string format spec: [[fill]align][0][width][.precision][s].
std::string applySpec(std::string_view value, std::string_view spec) {
  if (spec.empty()) return std::string(value);
  std::string fill = " ";
  bool explicitFill = false;
  char align = '<';
  std::size_t i = 0;
  // The fill may be any (UTF-8) character when followed by an alignment.
  std::size_t firstLen = 1;
  while (firstLen < spec.size() && (static_cast<unsigned char>(spec[firstLen]) & 0xC0) == 0x80)
    ++firstLen;
  if (spec.size() > firstLen && isAlign(spec[firstLen])) {
    fill = std::string(spec.substr(0, firstLen));
    explicitFill = true;
    align = spec[firstLen];
    i = firstLen + 1;
  } else if (isAlign(spec[0])) {
    align = spec[0];
    i = 1;
  }
  if (i < spec.size() && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' '))
    throw LogFormatError("Sign not allowed in string format specifier");
  if (i < spec.size() && spec[i] == '0') {
    if (!explicitFill) fill = "0";  // "05" pads with zeros, "x>05" keeps its fill
    ++i;
  }
  std::size_t width = 0;
  while (i < spec.size() && isDigit(spec[i])) width = width * 10 + std::size_t(spec[i++] - '0');
  std::optional<std::size_t> precision;
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    if (i >= spec.size() || !isDigit(spec[i]))
      throw LogFormatError("Format specifier missing precision");
    std::size_t p = 0;
    while (i < spec.size() && isDigit(spec[i])) p = p * 10 + std::size_t(spec[i++] - '0');
    precision = p;
  }
  if (i < spec.size() && spec[i] == 's') ++i;
  if (i < spec.size()) {
    if (i + 1 == spec.size() && std::isalpha(static_cast<unsigned char>(spec[i])))
      throw LogFormatError(std::string("Unknown format code '") + spec[i] +
                           "' for object of type 'str'");
    throw LogFormatError("Invalid format specifier");
  }
  if (align == '=') throw LogFormatError("'=' alignment not allowed in string format specifier");
  std::string_view shown = precision ? prefixCodePoints(value, *precision) : value;
  std::size_t length = codePoints(shown);
  if (length >= width) return std::string(shown);
  std::size_t pad = width - length;
  std::size_t before = align == '>' ? pad : align == '^' ? pad / 2 : 0;
  std::string out;
  for (std::size_t k = 0; k < before; ++k) out += fill;
  out += shown;
  for (std::size_t k = before; k < pad; ++k) out += fill;
  return out;
}

const std::string& lookup(std::string_view name, const LogFields& fields) {
  if (name.empty() || std::all_of(name.begin(), name.end(), isDigit))
    throw LogFormatError("tuple index out of range");
  if (name.find_first_of(".[") != std::string_view::npos)
    throw LogFormatError("attribute and index lookups are not supported: " + std::string(name));
  for (const auto& [key, value] : fields) {
    if (key == name) return value;
  }
  throw LogFormatError(quoted(name));
}

/// Formats `format` with `fields`; `depth` > 0 inside a nested spec.
std::string substitute(std::string_view format, const LogFields& fields, int depth) {
  std::string out;
  out.reserve(format.size() + 16);
  std::size_t i = 0;
  while (i < format.size()) {
    char c = format[i];
    if (c == '}') {
      if (i + 1 < format.size() && format[i + 1] == '}') {
        out += '}';
        i += 2;
        continue;
      }
      throw LogFormatError("Single '}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 < format.size() && format[i + 1] == '{') {
      out += '{';
      i += 2;
      continue;
    }
    if (i + 1 >= format.size()) throw LogFormatError("Single '{' encountered in format string");
    // Find the matching '}', counting braces nested in the spec.
    std::size_t j = i + 1;
    int nesting = 1;
    for (; j < format.size(); ++j) {
      if (format[j] == '{') {
        ++nesting;
      } else if (format[j] == '}' && --nesting == 0) {
        break;
      }
    }
    if (j >= format.size()) throw LogFormatError("expected '}' before end of string");
    std::string_view field = format.substr(i + 1, j - i - 1);
    i = j + 1;
    std::size_t nameEnd = field.find_first_of("!:");
    std::string_view name = field.substr(0, nameEnd);
    char conversion = 0;
    std::string_view spec;
    if (nameEnd != std::string_view::npos) {
      std::string_view rest = field.substr(nameEnd);
      if (rest[0] == '!') {
        if (rest.size() < 2) throw LogFormatError("unmatched '{' in format spec");
        conversion = rest[1];
        rest.remove_prefix(2);
        if (!rest.empty() && rest[0] != ':')
          throw LogFormatError("expected ':' after conversion specifier");
      }
      if (!rest.empty()) spec = rest.substr(1);
    }
    const std::string& value = lookup(name, fields);
    std::string converted;
    switch (conversion) {
      case 0:
      case 's':
        converted = value;
        break;
      case 'r':
      case 'a':
        converted = quoted(value);
        break;
      default:
        throw LogFormatError(std::string("Unknown conversion specifier ") + conversion);
    }
    if (depth > 1) throw LogFormatError("Max string recursion exceeded");
    std::string expandedSpec = spec.find('{') == std::string_view::npos
                                   ? std::string(spec)
                                   : substitute(spec, fields, depth + 1);
    out += applySpec(converted, expandedSpec);
  }
  return out;
}

}  // namespace

std::string formatLogMessage(std::string_view format, const LogFields& fields) {
  return substitute(format, fields, 0);
}

std::string formatUnformattableEvent(const LogEvent& event, std::string_view error) {
  std::string out = "Unable to format event {'log_format': " + quoted(event.logFormat) +
                    ", 'log_namespace': " + quoted(event.ns) +
                    ", 'log_level': <LogLevel=" + std::string(logLevelName(event.level)) + ">";
  for (const auto& [key, value] : event.fields) out += ", " + quoted(key) + ": " + quoted(value);
  out += "}: ";
  out += error;
  return out;
}

std::string formatEvent(const LogEvent& event) {
  if (event.logFormat.empty()) return event.text;
  try {
    return formatLogMessage(event.logFormat, event.fields);
  } catch (const LogFormatError& e) {
    return formatUnformattableEvent(event, e.what());
  }
}

}  // namespace tw
