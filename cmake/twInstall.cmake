# Install rules, the CMake package (installed and build-tree) and the pkg-config files.
# Included by the top-level CMakeLists.txt when TW_INSTALL is ON.
include(CMakePackageConfigHelpers)

set(TW_CONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tw)
set(TW_PKGCONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
set(tw_libraries runtime fakes)
set(tw_targets tw_runtime tw_fakes)
set(TW_HAS_TRIAL OFF)
if(TARGET tw_trial)
  set(TW_HAS_TRIAL ON)
  list(APPEND tw_libraries trial)
  list(APPEND tw_targets tw_trial tw_trial_main)
endif()

install(TARGETS ${tw_targets} EXPORT twTargets)
foreach(lib IN LISTS tw_libraries)
  install(DIRECTORY ${lib}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()

install(EXPORT twTargets NAMESPACE tw:: DESTINATION ${TW_CONFIG_DIR})
export(EXPORT twTargets NAMESPACE tw:: FILE ${PROJECT_BINARY_DIR}/twTargets.cmake)

# The same twConfig.cmake serves the build tree (tw_DIR=<build>) and the install tree.
configure_package_config_file(cmake/twConfig.cmake.in ${PROJECT_BINARY_DIR}/twConfig.cmake
  INSTALL_DESTINATION ${TW_CONFIG_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/twConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/twConfig.cmake ${PROJECT_BINARY_DIR}/twConfigVersion.cmake
  DESTINATION ${TW_CONFIG_DIR})

# pkg-config files are relocatable: paths are relative to ${pcfiledir} when the install dirs are.
if(IS_ABSOLUTE "${TW_PKGCONFIG_DIR}")
  set(TW_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH tw_pc_up "/${TW_PKGCONFIG_DIR}" "/")   # lib/pkgconfig -> ../../
  string(REGEX REPLACE "/$" "" tw_pc_up "${tw_pc_up}")
  set(TW_PC_PREFIX "\${pcfiledir}/${tw_pc_up}")
endif()
foreach(dir INCLUDEDIR LIBDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(TW_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(TW_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
foreach(lib IN LISTS tw_libraries)
  configure_file(cmake/tw-${lib}.pc.in ${PROJECT_BINARY_DIR}/tw-${lib}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/tw-${lib}.pc DESTINATION ${TW_PKGCONFIG_DIR})
endforeach()
