set(PREVT_LOADER_SOURCES ${CMAKE_CURRENT_LIST_DIR}/multiboot.cpp ${CMAKE_CURRENT_LIST_DIR}/multiboot_info.cpp ${CMAKE_CURRENT_LIST_DIR}/elf32.cpp
    ${CMAKE_CURRENT_LIST_DIR}/linux_boot.cpp ${CMAKE_CURRENT_LIST_DIR}/linux_boot_params.cpp ${CMAKE_CURRENT_LIST_DIR}/guest_loader.cpp ${CMAKE_CURRENT_LIST_DIR}/bios.cpp
    ${CMAKE_CURRENT_LIST_DIR}/bios_left_state.cpp)
