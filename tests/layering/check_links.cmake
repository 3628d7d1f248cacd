# layers.calls_run_down (tests/layering/CMakeLists.txt): builds the two probes of a call that
# runs up a layer. Run as: cmake -DBUILD_DIR=<build dir> -P check_links.cmake
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ember_layer_probe_up
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "FAIL: a core-level object calling ember::grad_enabled() (the ops layer) linked "
                      "against core alone: calls that run up the layers are not caught\n${out}")
endif()
if(NOT out MATCHES "undefined reference to `ember::grad_enabled\\(\\)'")
  message(FATAL_ERROR "FAIL: the upward call failed to link, but not for its undefined symbol:\n${out}")
endif()
message(STATUS "ok: a call from core up to autograd fails to link (undefined ember::grad_enabled())")
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ember_layer_probe_down
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "FAIL: the same call does not link against core + ops either (the control):\n${out}")
endif()
message(STATUS "ok: the same call links against core + ops")
