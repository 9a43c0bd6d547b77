// Uses an installed tw; built through find_package(tw) and through pkg-config (see run.cmake).
#include <tw/deferred.hpp>

int main() {
  tw::Deferred<int> d;
  int seen = 0;
  d.addCallback([](int x) { return x + 1; }).addCallback([&](int x) { seen = x; });
  d.callback(41);
  return seen == 42 ? 0 : 1;
}
