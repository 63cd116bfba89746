# CMake toolchain file for the Cortex-M4F target (preset m4f): bare-metal
# arm-none-eabi-gcc, hard-float ABI on the FPv4-SP unit, run under
# qemu-system-arm -M mps2-an386. The board's memory map and startup live in
# bsp/cortex-m4f/.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar)
set(CMAKE_OBJCOPY arm-none-eabi-objcopy)
set(CMAKE_SIZE arm-none-eabi-size)
# No host startup files exist for this target: try_compile builds a library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(WEFT_M4F_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard")
# Source paths in the image (panic messages' __FILE__) relative to the
# repository: the image, and so every instruction count QEMU measures, is the
# same whichever directory the clone is in (a clone under another path moved
# the code and changed where the benchmark's timer ticks land).
get_filename_component(WEFT_M4F_SOURCE_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(CMAKE_C_FLAGS_INIT "${WEFT_M4F_CPU_FLAGS} -ffunction-sections -fdata-sections -ffile-prefix-map=${WEFT_M4F_SOURCE_ROOT}/=")
set(CMAKE_ASM_FLAGS_INIT "${WEFT_M4F_CPU_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${WEFT_M4F_CPU_FLAGS} -nostartfiles --specs=nano.specs -Wl,--gc-sections")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
