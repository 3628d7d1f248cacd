# layers.includes_run_down (tests/layering/CMakeLists.txt): preprocesses one-line sources
# `#include "<header>"` with each layer's real include directories (SCOPE_<layer>, '|'-separated,
# read from its target) and checks that headers above the layer are not found while its own and
# lower ones are. Run as: cmake -DCXX=<compiler> -DWORK=<dir> -DSCOPE_core=... -P check_includes.cmake

# <layer> <header> <expectation: up = must not be found, ok = must be found>
set(cases
  # core: nothing of ours above it (the old violation: core/memory_format.cpp -> autograd/record.h)
  "core|autograd/record.h|up" "core|ops/dispatch.h|up" "core|backends/cpu/parallel.h|up"
  "core|backends/plugin_loader.h|up" "core|ember/autograd.h|up" "core|ember/nn/module.h|up"
  "core|ember/amp.h|up" "core|core/backend.h|ok" "core|core/kernels/optim.h|ok" "core|ember/tensor.h|ok"
  # autograd + ops: core, not the backends (ops reach kernels through core's interfaces)
  "ops|backends/cpu/parallel.h|up" "ops|backends/cpu/fast_path.h|up" "ops|nn/repr.h|up"
  "ops|optim/update_kernels.h|up" "ops|ember/nn/module.h|up" "ops|ember/optim/optimizer.h|up"
  "ops|ember/amp.h|up" "ops|ember/data/dataset.h|up"
  "ops|autograd/record.h|ok" "ops|ops/dispatch.h|ok" "ops|ember/autocast.h|ok" "ops|core/backend.h|ok"
  # the CPU backend: core's kernel interfaces only
  "cpu|autograd/record.h|up" "cpu|ops/dispatch.h|up" "cpu|ember/autograd.h|up" "cpu|ember/ops/elementwise.h|up"
  "cpu|backends/plugin_loader.h|up" "cpu|backends/cpu/cpu_backend.h|ok" "cpu|core/kernels/conv.h|ok"
  # the registry above the backends: core and the backends, no ops
  "backends|ops/dispatch.h|up" "backends|ember/autograd.h|up" "backends|backends/cpu/cpu_backend.h|ok"
  "backends|backends/plugin_loader.h|ok"
  # nn, optim, data, io: ops and below, not each other nor the backends
  "nn|backends/cpu/parallel.h|up" "nn|optim/update_kernels.h|up" "nn|ember/optim/sgd.h|up"
  "nn|ember/data/dataset.h|up" "nn|ember/nn/module.h|ok" "nn|ops/dispatch.h|ok"
  "optim|backends/cpu/parallel.h|up" "optim|nn/repr.h|up" "optim|ember/nn/module.h|up"
  "optim|ember/io/checkpoint.h|up" "optim|ember/amp.h|ok" "optim|ops/dispatch.h|ok" "optim|core/kernels/optim.h|ok"
  "data|backends/cpu/parallel.h|up" "data|ember/io/plot.h|up" "data|ember/nn/module.h|up"
  "data|ember/data/dataset.h|ok" "data|data/u8_batch.h|ok"
  "io|backends/cpu/parallel.h|up" "io|ember/nn/module.h|up" "io|data/u8_batch.h|up" "io|ember/io/safetensors.h|ok"
  # the GPU plugins: core and their own folder
  "opencl|ops/dispatch.h|up" "opencl|autograd/record.h|up" "opencl|backends/cpu/parallel.h|up"
  "opencl|backends/cuda/cuda_backend.h|up" "opencl|core/backend.h|ok" "opencl|backends/plugin_api.h|ok"
  "cuda|ops/dispatch.h|up" "cuda|autograd/record.h|up" "cuda|backends/cpu/parallel.h|up"
  "cuda|backends/opencl/opencl_backend.h|up" "cuda|core/backend.h|ok" "cuda|backends/plugin_api.h|ok")

file(MAKE_DIRECTORY ${WORK})
set(failures "")
set(checked 0)
foreach(c ${cases})
  string(REPLACE "|" ";" c "${c}")
  list(GET c 0 layer)
  list(GET c 1 header)
  list(GET c 2 expect)
  if(NOT DEFINED SCOPE_${layer})
    if(layer STREQUAL "opencl" OR layer STREQUAL "cuda")
      continue()  # that plugin is not built here
    endif()
    message(FATAL_ERROR "no include scope given for layer ${layer}")
  endif()
  string(REPLACE "|" ";" dirs "${SCOPE_${layer}}")
  set(flags "")
  foreach(d ${dirs})
    list(APPEND flags "-I${d}")
  endforeach()
  string(MAKE_C_IDENTIFIER "${layer}_${header}" stem)
  file(WRITE ${WORK}/${stem}.cpp "#include \"${header}\"\n")
  execute_process(COMMAND ${CXX} -std=c++20 -E ${flags} ${WORK}/${stem}.cpp -o ${WORK}/${stem}.i
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  math(EXPR checked "${checked} + 1")
  if(expect STREQUAL "up")
    string(FIND "${out}" "${header}: No such file or directory" missing)
    if(rc EQUAL 0)
      list(APPEND failures "${layer} can include ${header}, a header above it")
    elseif(missing EQUAL -1)
      list(APPEND failures "${layer} including ${header} failed for another reason than not finding it:\n${out}")
    endif()
  elseif(NOT rc EQUAL 0)
    list(APPEND failures "${layer} cannot include its own or a lower layer's ${header}:\n${out}")
  endif()
endforeach()
if(failures)
  string(REPLACE ";" "\n  " failures "${failures}")
  message(FATAL_ERROR "layering broken:\n  ${failures}")
endif()
message(STATUS "ok: ${checked} includes checked against the layers' include scopes")
