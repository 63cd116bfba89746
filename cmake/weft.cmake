# Helpers shared by every folder's CMakeLists.txt.

# weft_test(NAME n COMMAND cmd... LABELS l... [VALGRIND])
# Registers a ctest. With VALGRIND, a build configured with WEFT_VALGRIND (no
# sanitizers) also registers n-valgrind running the same command under
# memcheck, labelled `valgrind`.
function(weft_test)
  cmake_parse_arguments(T "VALGRIND" "NAME;TIMEOUT" "COMMAND;LABELS" ${ARGN})
  add_test(NAME ${T_NAME} COMMAND ${T_COMMAND})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
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
                         LABELS "${T_LABELS};valgrind" TIMEOUT 1200)
  endif()
endfunction()
