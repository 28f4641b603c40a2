set(PREVT_CORE_TEST_SOURCES ${CMAKE_CURRENT_LIST_DIR}/multiboot_test.cpp ${CMAKE_CURRENT_LIST_DIR}/multiboot_malformed_test.cpp ${CMAKE_CURRENT_LIST_DIR}/emulate_test.cpp ${CMAKE_CURRENT_LIST_DIR}/kvm_state_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/paged_memory_test.cpp ${CMAKE_CURRENT_LIST_DIR}/ordinary_test.cpp ${CMAKE_CURRENT_LIST_DIR}/host_descriptor_test.cpp ${CMAKE_CURRENT_LIST_DIR}/seccomp_test.cpp ${CMAKE_CURRENT_LIST_DIR}/shadow_ldt_test.cpp ${CMAKE_CURRENT_LIST_DIR}/branch_emulate_test.cpp ${CMAKE_CURRENT_LIST_DIR}/real_mode_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/bios_left_state_test.cpp)
list(APPEND PREVT_CORE_TEST_SOURCES ${CMAKE_CURRENT_LIST_DIR}/profile_test.cpp ${CMAKE_CURRENT_LIST_DIR}/cpuid_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/msr_test.cpp)
list(APPEND PREVT_CORE_TEST_SOURCES ${CMAKE_CURRENT_LIST_DIR}/memory_map_test.cpp ${CMAKE_CURRENT_LIST_DIR}/memory_map_cpu_test.cpp ${CMAKE_CURRENT_LIST_DIR}/address_space_test.cpp)
list(APPEND PREVT_CORE_TEST_SOURCES ${CMAKE_CURRENT_LIST_DIR}/fpu_env_test.cpp)
list(APPEND PREVT_CORE_TEST_SOURCES ${CMAKE_CURRENT_LIST_DIR}/linux_boot_test.cpp)
list(APPEND PREVT_CORE_TEST_SOURCES ${CMAKE_CURRENT_LIST_DIR}/console_test.cpp)
list(APPEND PREVT_CORE_TEST_SOURCES ${CMAKE_CURRENT_LIST_DIR}/disk_image_test.cpp ${CMAKE_CURRENT_LIST_DIR}/text_display_test.cpp ${CMAKE_CURRENT_LIST_DIR}/terminal_keys_test.cpp)
list(APPEND PREVT_CORE_TEST_SOURCES ${CMAKE_CURRENT_LIST_DIR}/gdb_protocol_test.cpp)
list(APPEND PREVT_CORE_TEST_SOURCES ${CMAKE_CURRENT_LIST_DIR}/task_switch_test.cpp ${CMAKE_CURRENT_LIST_DIR}/data_breakpoint_test.cpp)
