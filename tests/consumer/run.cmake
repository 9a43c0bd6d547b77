# The ctest test consumer (see tests/CMakeLists.txt): installs the tw build TW_BUILD_DIR into
# WORK_DIR/prefix, then builds and runs SOURCE_DIR/main.cpp against it, first as a CMake project
# using find_package(tw), then with CXX and `pkg-config --cflags --libs tw-runtime`.
# Usage: cmake -D TW_BUILD_DIR=... -D SOURCE_DIR=... -D WORK_DIR=... -D LIBDIR=...
#              -D GENERATOR=... -D BUILD_TYPE=... -D CXX=... -D CXX_FLAGS=... -P run.cmake
function(run)
  list(JOIN ARGV " " command)
  message(STATUS "run: ${command}")
  execute_process(COMMAND ${ARGV} COMMAND_ERROR_IS_FATAL ANY)
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
run(${CMAKE_COMMAND} --install ${TW_BUILD_DIR} --prefix ${prefix})

run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/cmake -G ${GENERATOR}
  -D CMAKE_PREFIX_PATH=${prefix}
  -D CMAKE_BUILD_TYPE=${BUILD_TYPE}
  -D CMAKE_CXX_COMPILER=${CXX}
  -D CMAKE_CXX_FLAGS=${CXX_FLAGS})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/cmake)
run(${WORK_DIR}/cmake/tw_consumer)

set(ENV{PKG_CONFIG_PATH} ${prefix}/${LIBDIR}/pkgconfig)
execute_process(COMMAND pkg-config --cflags --libs tw-runtime
  OUTPUT_VARIABLE pc_flags OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
separate_arguments(cxx_flags UNIX_COMMAND "${CXX_FLAGS}")
run(${CXX} -std=c++20 ${cxx_flags} ${SOURCE_DIR}/main.cpp ${pc_flags} -o ${WORK_DIR}/tw_consumer_pc)
run(${WORK_DIR}/tw_consumer_pc)
