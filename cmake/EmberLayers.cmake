# The layers of libember as separate CMake object libraries, each compiled against an include
# root that holds only its own and its lower layers' headers, so an include that runs up the
# layers fails to compile ("No such file"), and each linked with --no-undefined against only its
# lower layers (ember_layer_link_checks), so a call that runs up fails to link. libember is the
# union of the layers' objects: users still get one library. See docs/architecture.md.
#
# ember_include_root(<name> [SRC <paths under src/>...] [PUBLIC <paths under include/ember/>...]
#                    [DEPENDS <layers>...])
#   Makes ${CMAKE_BINARY_DIR}/layers/<name>/, a directory of symbolic links to the listed files
#   and folders of src/ (at the same relative paths) and of include/ember/ (under ember/), plus
#   everything the DEPENDS layers see (transitively). Paths may be globs (files only). Sets
#   EMBER_INCLUDE_ROOT_<name> (the directory) for the caller.
#
# ember_layer(<name> SOURCES <globs under src/>... [SRC ...] [PUBLIC ...] [DEPENDS <layers>...])
#   The object library ember_<name> from SOURCES, with the include root <name> as its only
#   include path of ours, ember's warnings and -march=${EMBER_CPU_ARCH}. Every file of src/
#   and include/ember/ must belong to exactly one layer: ember_check_layer_coverage() fails the
#   configuration for one that does not (a new top-level public header needs a layer).

set(EMBER_LAYERS_DIR ${CMAKE_BINARY_DIR}/layers)
set_property(GLOBAL PROPERTY EMBER_LAYER_NAMES "")
set_property(GLOBAL PROPERTY EMBER_LAYER_OWNED "")

# Expands globs (relative to base) into existing paths relative to base.
function(_ember_expand out base)
  set(result "")
  foreach(p ${ARGN})
    if(p MATCHES "[*?]")
      file(GLOB matches CONFIGURE_DEPENDS RELATIVE ${base} ${base}/${p})
      list(APPEND result ${matches})
    elseif(EXISTS ${base}/${p})
      list(APPEND result ${p})
    else()
      message(FATAL_ERROR "ember layers: ${base}/${p} does not exist")
    endif()
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

function(ember_include_root name)
  cmake_parse_arguments(L "" "" "SRC;PUBLIC;DEPENDS" ${ARGN})
  _ember_expand(src_paths ${PROJECT_SOURCE_DIR}/src ${L_SRC})
  _ember_expand(pub_paths ${PROJECT_SOURCE_DIR}/include/ember ${L_PUBLIC})
  set(links "")  # "<link path relative to the root>|<target>"
  foreach(p ${src_paths})
    list(APPEND links "${p}|${PROJECT_SOURCE_DIR}/src/${p}")
  endforeach()
  foreach(p ${pub_paths})
    list(APPEND links "ember/${p}|${PROJECT_SOURCE_DIR}/include/ember/${p}")
  endforeach()
  set_property(GLOBAL PROPERTY EMBER_LAYER_OWN_LINKS_${name} "${links}")
  foreach(dep ${L_DEPENDS})
    get_property(dep_links GLOBAL PROPERTY EMBER_LAYER_LINKS_${dep})
    get_property(known GLOBAL PROPERTY EMBER_LAYER_LINKS_${dep} SET)
    if(NOT known)
      message(FATAL_ERROR "ember layers: ${name} depends on ${dep}, which is not defined (yet)")
    endif()
    list(APPEND links ${dep_links})
  endforeach()
  list(REMOVE_DUPLICATES links)
  set_property(GLOBAL PROPERTY EMBER_LAYER_LINKS_${name} "${links}")

  # (Re)build the directory of links: a stale link from an earlier configuration must go.
  set(root ${EMBER_LAYERS_DIR}/${name})
  file(REMOVE_RECURSE ${root})
  foreach(entry ${links})
    string(REPLACE "|" ";" parts "${entry}")
    list(GET parts 0 link)
    list(GET parts 1 target)
    get_filename_component(parent ${root}/${link} DIRECTORY)
    file(MAKE_DIRECTORY ${parent})
    file(CREATE_LINK ${target} ${root}/${link} SYMBOLIC)
  endforeach()
  set(EMBER_INCLUDE_ROOT_${name} ${root} PARENT_SCOPE)
endfunction()

function(ember_layer name)
  cmake_parse_arguments(L "" "" "SOURCES;SRC;PUBLIC;DEPENDS" ${ARGN})
  ember_include_root(${name} SRC ${L_SRC} PUBLIC ${L_PUBLIC} DEPENDS ${L_DEPENDS})
  set(globs "")
  foreach(g ${L_SOURCES})
    list(APPEND globs ${PROJECT_SOURCE_DIR}/src/${g})
  endforeach()
  file(GLOB sources CONFIGURE_DEPENDS ${globs})
  add_library(ember_${name} OBJECT ${sources})
  target_compile_features(ember_${name} PUBLIC cxx_std_20)
  target_include_directories(ember_${name} PRIVATE ${EMBER_LAYERS_DIR}/${name})
  target_link_libraries(ember_${name} PRIVATE $<BUILD_INTERFACE:ember_warnings>)
  if(EMBER_CPU_ARCH)
    target_compile_options(ember_${name} PRIVATE -march=${EMBER_CPU_ARCH})
  endif()
  set_property(GLOBAL APPEND PROPERTY EMBER_LAYER_NAMES ${name})
  set_property(GLOBAL PROPERTY EMBER_LAYER_DEPENDS_${name} ${L_DEPENDS})
  set_property(GLOBAL APPEND PROPERTY EMBER_LAYER_OWNED ${L_SRC} ${L_SOURCES})
  foreach(p ${L_PUBLIC})
    set_property(GLOBAL APPEND PROPERTY EMBER_LAYER_OWNED_PUBLIC ${p})
  endforeach()
endfunction()

# All layers below <name> (transitively), lowest last.
function(ember_layer_closure out name)
  set(result ${name})
  get_property(deps GLOBAL PROPERTY EMBER_LAYER_DEPENDS_${name})
  foreach(dep ${deps})
    ember_layer_closure(sub ${dep})
    list(APPEND result ${sub})
  endforeach()
  list(REMOVE_DUPLICATES result)
  set(${out} ${result} PARENT_SCOPE)
endfunction()

# Fails the configuration for a file of src/ (outside the GPU backends' own folders) or a
# public header that no layer owns, so a new folder or top-level header is placed explicitly.
function(ember_check_layer_coverage)
  cmake_parse_arguments(L "" "" "IGNORE" ${ARGN})
  get_property(owned GLOBAL PROPERTY EMBER_LAYER_OWNED)
  get_property(owned_public GLOBAL PROPERTY EMBER_LAYER_OWNED_PUBLIC)
  set(missing "")
  file(GLOB_RECURSE files CONFIGURE_DEPENDS RELATIVE ${PROJECT_SOURCE_DIR}/src
       ${PROJECT_SOURCE_DIR}/src/*.h ${PROJECT_SOURCE_DIR}/src/*.cpp)
  foreach(f ${files})
    set(found FALSE)
    foreach(o ${owned} ${L_IGNORE})
      string(REPLACE "." "\\." re "${o}")
      string(REPLACE "*" "[^/]*" re "${re}")
      if(f MATCHES "^${re}$" OR f MATCHES "^${re}/")
        set(found TRUE)
      endif()
    endforeach()
    if(NOT found)
      list(APPEND missing "src/${f}")
    endif()
  endforeach()
  file(GLOB_RECURSE files CONFIGURE_DEPENDS RELATIVE ${PROJECT_SOURCE_DIR}/include/ember
       ${PROJECT_SOURCE_DIR}/include/ember/*.h)
  foreach(f ${files})
    set(found FALSE)
    foreach(o ${owned_public} ember.h models)
      if(f STREQUAL o OR f MATCHES "^${o}/")
        set(found TRUE)
      endif()
    endforeach()
    if(NOT found)
      list(APPEND missing "include/ember/${f}")
    endif()
  endforeach()
  if(missing)
    string(REPLACE ";" " " missing "${missing}")
    message(FATAL_ERROR "ember layers: no layer owns ${missing}: add it to a layer in src/CMakeLists.txt")
  endif()
endfunction()

# For each layer, a shared library of its objects and its lower layers' objects only, linked
# with --no-undefined: a call into a higher layer leaves an undefined symbol and fails the build.
# <libs> are the external libraries every check links (oneDNN, OpenMP, ...); <stub> defines the
# one function core declares for the layer above to define (register_all_backends).
function(ember_layer_link_checks stub)
  get_property(names GLOBAL PROPERTY EMBER_LAYER_NAMES)
  add_custom_target(ember_layer_link_checks ALL)
  foreach(name ${names})
    ember_layer_closure(closure ${name})
    set(objects "")
    foreach(l ${closure})
      list(APPEND objects $<TARGET_OBJECTS:ember_${l}>)
    endforeach()
    set(check ember_layer_check_${name})
    add_library(${check} SHARED EXCLUDE_FROM_ALL ${objects})
    if(name STREQUAL "backends" AND NOT EMBER_SHARED)
      continue()  # a static libember registers the GPU backends' static libraries, linked later
    endif()
    if(NOT "backends" IN_LIST closure)
      target_sources(${check} PRIVATE ${stub})
      target_include_directories(${check} PRIVATE ${EMBER_LAYERS_DIR}/core)
    endif()
    target_link_libraries(${check} PRIVATE ${ARGN})
    target_link_options(${check} PRIVATE -Wl,--no-undefined)
    set_target_properties(${check} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/layers/link-checks)
    add_dependencies(ember_layer_link_checks ${check})
  endforeach()
endfunction()
