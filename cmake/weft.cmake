# Helpers shared by every folder's CMakeLists.txt.

# weft_test(NAME n COMMAND cmd... LABELS l... [VALGRIND])
# Registers a ctest. With VALGRIND, a build configured with WEFT_VALGRIND (no
# sanitizers) also registers n-valgrind running the same command under
# memcheck, labelled `valgrind`.
function(weft_test)
  cmake_parse_arguments(T "VALGRIND" "NAME;TIMEOUT" "COMMAND;LABELS" ${ARGN})
  add_test(NAME ${T_NAME} COMMAND ${T_COMMAND})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 1500)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT})
  if(T_VALGRIND AND WEFT_VALGRIND)
    # ctest maps a target name to its path only as the first word of a
    # command; under valgrind it is the second, so map it here.
    list(GET T_COMMAND 0 first)
    set(vg_command ${T_COMMAND})
    if(TARGET ${first})
      list(REMOVE_AT vg_command 0)
      list(INSERT vg_command 0 $<TARGET_FILE:${first}>)
    endif()
    add_test(NAME ${T_NAME}-valgrind
             COMMAND valgrind --quiet --error-exitcode=99 --leak-check=full
                     --errors-for-leak-kinds=definite ${vg_command})
    set_tests_properties(${T_NAME}-valgrind PROPERTIES
                         LABELS "${T_LABELS};valgrind" TIMEOUT 2400)
  endif()
endfunction()

# weft_descriptor_table(OUTPUT f.c MACRO K_TEST PREFIX k_test_desc_
#                       TYPE "struct k_test" HEADER k/test.h TABLE weft_tests_table
#                       SOURCES s...)
# The build-generated form of a descriptor section, for targets whose object
# format cannot collect one (wasm), and the form static modules take there:
# OUTPUT defines TABLE[] (pointers to every descriptor, in link order, NULL
# at the end) and TABLE_count. SOURCES must be given in link order. The file
# is regenerated when a source changes. One generator for every list:
# cmake/gen-descriptor-table.cmake.
function(weft_descriptor_table)
  cmake_parse_arguments(D "" "OUTPUT;MACRO;PREFIX;TYPE;HEADER;TABLE" "SOURCES" ${ARGN})
  set(abs "")
  foreach(s IN LISTS D_SOURCES)
    get_filename_component(a "${s}" ABSOLUTE)
    list(APPEND abs "${a}")
  endforeach()
  # '|' between sources: a ';' would not survive the command line.
  string(REPLACE ";" "|" abs_arg "${abs}")
  add_custom_command(OUTPUT ${D_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUTPUT=${D_OUTPUT} -DMACRO=${D_MACRO}
            -DPREFIX=${D_PREFIX} "-DTYPE=${D_TYPE}" -DHEADER=${D_HEADER}
            -DTABLE=${D_TABLE} "-DSOURCES=${abs_arg}"
            -P ${PROJECT_SOURCE_DIR}/cmake/gen-descriptor-table.cmake
    DEPENDS ${abs} ${PROJECT_SOURCE_DIR}/cmake/gen-descriptor-table.cmake
    COMMENT "descriptor table ${D_TABLE} (${D_MACRO})"
    VERBATIM)
endfunction()

# weft_standard_tables(DIR d)
# The two lists every build has, as generated tables: d/tests_table.c
# (weft_tests_table: K_TEST in weft_kernel's sources) and d/workloads_table.c
# (weft_workloads_table: K_WORKLOAD in weft_stress's), in those targets'
# source order, which is their link order (archive members, object list).
function(weft_standard_tables)
  cmake_parse_arguments(S "" "DIR" "" ${ARGN})
  file(MAKE_DIRECTORY ${S_DIR})
  foreach(target weft_kernel weft_stress)
    get_target_property(sources ${target} SOURCES)
    get_target_property(dir ${target} SOURCE_DIR)
    set(abs_${target} "")
    foreach(s ${sources})
      if(IS_ABSOLUTE "${s}")
        list(APPEND abs_${target} "${s}")
      else()
        list(APPEND abs_${target} "${dir}/${s}")
      endif()
    endforeach()
  endforeach()
  weft_descriptor_table(OUTPUT ${S_DIR}/tests_table.c MACRO K_TEST
    PREFIX k_test_desc_ TYPE "struct k_test" HEADER k/test.h TABLE weft_tests_table
    SOURCES ${abs_weft_kernel})
  weft_descriptor_table(OUTPUT ${S_DIR}/workloads_table.c MACRO K_WORKLOAD
    PREFIX k_workload_ TYPE "struct k_workload" HEADER k/workload.h
    TABLE weft_workloads_table SOURCES ${abs_weft_stress})
endfunction()

# weft_library_variant(NEW OLD [UNSANITIZED] [OBJECT] [OPTIONS o...]
#                      [DEFINES d...] [PUBLIC_DEFINES d...] [LINKS l...])
# Another library of OLD's sources (static; OBJECT: an object library, so
# every object links, descriptors included), with OLD's include
# directories, definitions and options, plus OPTIONS and DEFINES (private)
# and PUBLIC_DEFINES (seen by whoever links NEW too: a configuration such as
# the board's, which every file of one build must share); LINKS are linked
# PUBLIC in place of OLD's own link libraries (give the matching variants).
# UNSANITIZED sets the target property WEFT_UNSANITIZED, which drops the
# build's global sanitizer flags for it (the root CMakeLists.txt): the fuzz
# preset builds its throughput variants this way, beside the checking ones.
# The planted, never-rule, lazy-timer and board kernels are made this way
# too (sim/CMakeLists.txt).
function(weft_library_variant new old)
  cmake_parse_arguments(V "UNSANITIZED;OBJECT" "" "OPTIONS;DEFINES;PUBLIC_DEFINES;LINKS" ${ARGN})
  get_target_property(sources ${old} SOURCES)
  get_target_property(dir ${old} SOURCE_DIR)
  set(abs "")
  foreach(s ${sources})
    if(IS_ABSOLUTE "${s}")
      list(APPEND abs "${s}")
    else()
      list(APPEND abs "${dir}/${s}")
    endif()
  endforeach()
  set(type STATIC)
  if(V_OBJECT)
    set(type OBJECT)
  endif()
  add_library(${new} ${type} ${abs})
  target_include_directories(${new}
    PUBLIC $<TARGET_PROPERTY:${old},INTERFACE_INCLUDE_DIRECTORIES>
    PRIVATE $<TARGET_PROPERTY:${old},INCLUDE_DIRECTORIES>)
  # OLD's private definitions as written, evaluated for NEW: a copy
  # evaluated for OLD would carry OLD's page size (WEFT_PAGE_BYTES reads a
  # target property, the root CMakeLists.txt).
  get_target_property(definitions ${old} COMPILE_DEFINITIONS)
  if(NOT definitions)
    set(definitions "")
  endif()
  target_compile_definitions(${new}
    PUBLIC $<TARGET_PROPERTY:${old},INTERFACE_COMPILE_DEFINITIONS> ${V_PUBLIC_DEFINES}
    PRIVATE ${definitions} ${V_DEFINES})
  # OLD's options as written, less the global sanitizer flags: a copy would
  # carry them evaluated for OLD, and NEW gets its own from the directory.
  get_target_property(options ${old} COMPILE_OPTIONS)
  if(NOT options)
    set(options "")
  endif()
  list(FILTER options EXCLUDE REGEX "WEFT_UNSANITIZED")
  target_compile_options(${new} PRIVATE ${options} ${V_OPTIONS})
  if(V_LINKS)
    target_link_libraries(${new} PUBLIC ${V_LINKS})
  endif()
  if(V_UNSANITIZED)
    set_target_properties(${new} PROPERTIES WEFT_UNSANITIZED ON)
  endif()
endfunction()

# weft_add_module(NAME n SOURCES s... LEVEL l)
# Declares the static module n (k/module.h): its sources hold one
# K_MODULE(n, init, fini, l) line. Consumers link the target weft_module_<n>
# (target_link_libraries) and, on wasm, the table weft_module_table() writes.
#  - On ELF targets (sim, m4f) the module's objects are merged into one
#    relocatable object (ld -r) and every symbol but the descriptor
#    k_module_desc_<n> is made local (objcopy --keep-global-symbol): two
#    modules may both define a global `counter` or `helper()`. References to
#    the kernel stay undefined and resolve when the module links with it.
#  - On wasm (not ELF: neither tool exists) the objects link as they are and
#    the descriptor is found through the generated table.
# LEVEL reaches the sources as WEFT_MODULE_LEVEL; K_MODULE checks at compile
# time that its own level is the same.
function(weft_add_module)
  cmake_parse_arguments(M "" "NAME;LEVEL" "SOURCES" ${ARGN})
  if(NOT M_NAME MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "weft_add_module: NAME '${M_NAME}' is not a C identifier")
  endif()
  if(NOT M_LEVEL MATCHES "^[0-9]+$" OR M_LEVEL GREATER 99)
    message(FATAL_ERROR "weft_add_module(${M_NAME}): LEVEL '${M_LEVEL}' is not 0..99")
  endif()
  if(NOT M_SOURCES)
    message(FATAL_ERROR "weft_add_module(${M_NAME}): no SOURCES")
  endif()
  get_property(known GLOBAL PROPERTY WEFT_MODULES)
  if(M_NAME IN_LIST known)
    message(FATAL_ERROR "weft_add_module: two modules named ${M_NAME}")
  endif()
  set(src_target weft_module_${M_NAME}_src)
  add_library(${src_target} OBJECT ${M_SOURCES})
  target_include_directories(${src_target} PRIVATE
    ${PROJECT_SOURCE_DIR}/kernel/include ${PROJECT_SOURCE_DIR}/bsp/include)
  target_compile_options(${src_target} PRIVATE -ffreestanding)
  target_compile_definitions(${src_target} PRIVATE WEFT_MODULE_LEVEL=${M_LEVEL})
  # ld -r and objcopy need real objects, not LTO bytecode.
  set_target_properties(${src_target} PROPERTIES INTERPROCEDURAL_OPTIMIZATION OFF)
  set(abs "")
  foreach(s IN LISTS M_SOURCES)
    get_filename_component(a "${s}" ABSOLUTE)
    list(APPEND abs "${a}")
  endforeach()
  set_property(GLOBAL APPEND PROPERTY WEFT_MODULES ${M_NAME})
  set_property(GLOBAL PROPERTY WEFT_MODULE_SOURCES_${M_NAME} "${abs}")
  if(WEFT_BSP STREQUAL "wasm")
    add_library(weft_module_${M_NAME} INTERFACE)
    target_link_libraries(weft_module_${M_NAME} INTERFACE ${src_target} $<TARGET_OBJECTS:${src_target}>)
    return()
  endif()
  if(NOT CMAKE_LINKER OR NOT CMAKE_OBJCOPY)
    message(FATAL_ERROR "weft_add_module: an ELF build needs ld and objcopy (CMAKE_LINKER, CMAKE_OBJCOPY)")
  endif()
  set(dir ${CMAKE_BINARY_DIR}/modules-merged)
  set(merged ${dir}/${M_NAME}.merged.o)
  set(out ${dir}/${M_NAME}.o)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${CMAKE_LINKER} -r -o ${merged} $<TARGET_OBJECTS:${src_target}>
    COMMAND ${CMAKE_OBJCOPY} --keep-global-symbol=k_module_desc_${M_NAME} ${merged} ${out}
    DEPENDS ${src_target} $<TARGET_OBJECTS:${src_target}>
    COMMENT "module ${M_NAME}: ld -r, every symbol but k_module_desc_${M_NAME} local"
    COMMAND_EXPAND_LISTS VERBATIM)
  add_custom_target(weft_module_${M_NAME}_merge DEPENDS ${out})
  add_library(weft_module_${M_NAME} OBJECT IMPORTED GLOBAL)
  set_target_properties(weft_module_${M_NAME} PROPERTIES IMPORTED_OBJECTS ${out})
  add_dependencies(weft_module_${M_NAME} weft_module_${M_NAME}_merge)
endfunction()

# weft_module_table(OUTPUT f.c MODULES m...)
# The build-generated form of the modules' list (k/section.h): f.c defines
# weft_modules_table[] pointing at each module's descriptor, in the order
# given. The wasm build links it; the simulator's order test links it next to
# the section to prove both give the same boot order.
function(weft_module_table)
  cmake_parse_arguments(T "" "OUTPUT" "MODULES" ${ARGN})
  set(sources "")
  foreach(m IN LISTS T_MODULES)
    get_property(s GLOBAL PROPERTY WEFT_MODULE_SOURCES_${m})
    if(NOT s)
      message(FATAL_ERROR "weft_module_table: no module ${m} (weft_add_module first)")
    endif()
    list(APPEND sources ${s})
  endforeach()
  weft_descriptor_table(OUTPUT ${T_OUTPUT} MACRO K_MODULE PREFIX k_module_desc_
    TYPE "struct k_module" HEADER k/module.h TABLE weft_modules_table SOURCES ${sources})
endfunction()
