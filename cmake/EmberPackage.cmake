# The installed package files, included by the top-level CMakeLists after every target exists:
# the CMake package (find_package(ember): ember::ember, ember::models) with the dependencies a
# static libember carries, and relocatable pkg-config files (ember.pc, ember-models.pc) whose
# prefix is found from their own directory (${pcfiledir}), so the prefix can move.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# What a consumer must find again: nothing for a shared libember (its dependencies are private
# and the GPU backends are plugins); its link dependencies for a static one.
set(EMBER_CONFIG_DEPENDENCIES "")
set(EMBER_PC_LIBS_PRIVATE "")
if(NOT EMBER_SHARED)
  string(APPEND EMBER_CONFIG_DEPENDENCIES "find_dependency(OpenMP)\nfind_dependency(dnnl)\nfind_dependency(ZLIB)\n")
  # The backends' archives, then libember again for the core symbols they use (one-pass linkers).
  set(EMBER_PC_LIBS_PRIVATE "")
  foreach(be opencl cuda)
    string(TOUPPER ${be} upper)
    if(EMBER_HAVE_${upper})
      string(APPEND EMBER_PC_LIBS_PRIVATE "-lember_${be} ")
    endif()
  endforeach()
  string(APPEND EMBER_PC_LIBS_PRIVATE "-lember -ldnnl -fopenmp -lz")
  foreach(lib ${STB_LIBRARIES} ${EMBER_MVEC_LIB})
    string(APPEND EMBER_PC_LIBS_PRIVATE " -l${lib}")
  endforeach()
  if(EMBER_HAVE_OPENCL)
    string(APPEND EMBER_CONFIG_DEPENDENCIES "find_dependency(OpenCL)\nfind_dependency(CLBlast CONFIG)\n")
    string(APPEND EMBER_PC_LIBS_PRIVATE " -lclblast -lOpenCL")
  endif()
  if(EMBER_HAVE_CUDA)
    string(APPEND EMBER_CONFIG_DEPENDENCIES "find_dependency(CUDAToolkit)\n")
    list(REMOVE_DUPLICATES EMBER_CUDA_LIBRARY_DIRS)
    foreach(dir ${EMBER_CUDA_LIBRARY_DIRS})
      string(APPEND EMBER_PC_LIBS_PRIVATE " -L${dir}")
    endforeach()
    string(APPEND EMBER_PC_LIBS_PRIVATE " -lcudnn -lcublasLt -lcublas -lcudart")
  endif()
endif()

install(EXPORT emberTargets NAMESPACE ember:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ember)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/emberConfig.cmake.in
  ${PROJECT_BINARY_DIR}/emberConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ember)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/emberConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/emberConfig.cmake ${PROJECT_BINARY_DIR}/emberConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ember)

# From <libdir>/pkgconfig back to the prefix ("../.." for lib, "../../.." for lib/<triplet>).
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  message(FATAL_ERROR "ember: CMAKE_INSTALL_LIBDIR must be relative to the prefix for relocatable "
                      "pkg-config files (got ${CMAKE_INSTALL_LIBDIR})")
endif()
file(RELATIVE_PATH EMBER_PC_RELATIVE_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" EMBER_PC_RELATIVE_PREFIX "${EMBER_PC_RELATIVE_PREFIX}")
foreach(pc ember ember-models)
  if(pc STREQUAL "ember-models" AND NOT TARGET ember_models)
    continue()
  endif()
  configure_file(${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
