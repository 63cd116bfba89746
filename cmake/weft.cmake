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
    add_test(NAME ${T_NAME}-valgrind
             COMMAND valgrind --quiet --error-exitcode=99 --leak-check=full
                     --errors-for-leak-kinds=definite ${T_COMMAND})
    set_tests_properties(${T_NAME}-valgrind PROPERTIES
                         LABELS "${T_LABELS};valgrind" TIMEOUT 1200)
  endif()
endfunction()
