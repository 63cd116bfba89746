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

# weft_library_variant(NEW OLD [UNSANITIZED] [OPTIONS o...] [LINKS l...])
# Another static library of OLD's sources, with OLD's include directories,
# definitions and options, plus OPTIONS; LINKS are linked PUBLIC in place of
# OLD's own link libraries (give the matching variants). UNSANITIZED sets the
# target property WEFT_UNSANITIZED, which drops the build's global
# sanitizer flags for it (the root CMakeLists.txt): the fuzz preset builds
# its throughput variants this way, beside the checking ones.
function(weft_library_variant new old)
  cmake_parse_arguments(V "UNSANITIZED" "" "OPTIONS;LINKS" ${ARGN})
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
  add_library(${new} STATIC ${abs})
  target_include_directories(${new}
    PUBLIC $<TARGET_PROPERTY:${old},INTERFACE_INCLUDE_DIRECTORIES>
    PRIVATE $<TARGET_PROPERTY:${old},INCLUDE_DIRECTORIES>)
  target_compile_definitions(${new}
    PUBLIC $<TARGET_PROPERTY:${old},INTERFACE_COMPILE_DEFINITIONS>
    PRIVATE $<TARGET_PROPERTY:${old},COMPILE_DEFINITIONS>)
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
