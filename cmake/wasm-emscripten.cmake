# Toolchain for the wasm preset: Emscripten (emcc) as packaged by Debian
# (apt-get install emscripten; scripts/setup.sh test installs it), or an
# emsdk whose EMSDK variable is set. Loads Emscripten's own toolchain file.
find_program(WEFT_EMCC emcc HINTS $ENV{EMSDK}/upstream/emscripten)
if(NOT WEFT_EMCC)
  message(FATAL_ERROR "wasm preset: emcc not found (bash scripts/setup.sh test installs emscripten)")
endif()
get_filename_component(weft_emcc_real "${WEFT_EMCC}" REALPATH)
get_filename_component(weft_emcc_dir "${weft_emcc_real}" DIRECTORY)
set(weft_em_toolchain "")
foreach(candidate
    "${weft_emcc_dir}/cmake/Modules/Platform/Emscripten.cmake"
    "/usr/share/emscripten/cmake/Modules/Platform/Emscripten.cmake")
  if(EXISTS "${candidate}")
    set(weft_em_toolchain "${candidate}")
    break()
  endif()
endforeach()
if(NOT weft_em_toolchain)
  message(FATAL_ERROR "wasm preset: Emscripten.cmake not found next to ${weft_emcc_real}")
endif()
include("${weft_em_toolchain}")
