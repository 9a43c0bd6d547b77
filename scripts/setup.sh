# Sourced by demo.sh and test.sh (from the repository's top): installs what is missing and sets
# the build's generator and parallelism.
bash scripts/deps.sh
if [[ -z ${CMAKE_GENERATOR:-} ]] && command -v ninja >/dev/null; then
  export CMAKE_GENERATOR=Ninja
fi
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
