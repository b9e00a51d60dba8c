# Shared compile settings and the helpers every module uses.

add_library(roadside_warnings INTERFACE)
target_compile_options(roadside_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
  -Wno-missing-field-initializers -Wunused -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
  $<$<BOOL:${ROADSIDE_WERROR}>:-Werror>)
# Clang checks what base/thread_annotations.h declares: guarded state read or written
# without its lock does not compile (the clang build, `make test-clang`, runs in CI).
target_compile_options(roadside_warnings INTERFACE $<$<CXX_COMPILER_ID:Clang>:-Wthread-safety>)
# Optimized builds (the release preset, benchmarks): GCC 12's inliner reports false
# null-dereference and maybe-uninitialized warnings inside Boost.Asio and libstdc++, and the
# coroutine-frame mismatched-new-delete described below, and (at -O3, the image's build) a false
# -Wrestrict inside std::string's operator+ (GCC bug 105329).
# The Debug builds (dev, clang, sanitizers) keep -Wnull-dereference for our own code.
target_compile_options(roadside_warnings INTERFACE
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<NOT:$<CONFIG:Debug>>>:-Wno-null-dereference -Wno-maybe-uninitialized -Wno-mismatched-new-delete -Wno-restrict>)

# Sanitizer presets set ROADSIDE_SANITIZE to "address,undefined" or "thread".
set(ROADSIDE_SANITIZE "" CACHE STRING "Sanitizers to build with (-fsanitize=...)")
if(ROADSIDE_SANITIZE)
  add_compile_options(-fsanitize=${ROADSIDE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${ROADSIDE_SANITIZE})
  # GCC 12 reports false maybe-uninitialized warnings in libstdc++ (std::regex, std::function)
  # when sanitizers change inlining.
  # (and false null-dereference warnings inside Boost.Asio for the same reason).
  # And, with inlining changed, a false mismatched-new-delete on coroutine frames whose
  # operator new/delete Asio defines as a pair (awaitable_frame_base).
  target_compile_options(roadside_warnings INTERFACE -Wno-maybe-uninitialized -Wno-null-dereference
    $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>)
  if(ROADSIDE_SANITIZE MATCHES "thread")
    # TSan does not model fences; let Asio rely on its mutexes instead of std::atomic_thread_fence.
    add_compile_definitions(BOOST_ASIO_DISABLE_FENCED_BLOCK)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      target_compile_options(roadside_warnings INTERFACE -Wno-tsan)
    endif()
  endif()
endif()

# libFuzzer builds (clang, tests/fuzz): the libraries are compiled with ASan+UBSan and with
# the fuzzer's coverage counters, not only the target's own file, or libFuzzer would see no
# edge inside the parsers it is meant to explore. Only the fuzz targets link libFuzzer's main.
# Files with coroutines (the network and the proxies' handlers, which no fuzz target calls)
# are compiled plain: clang 14 fails on them at -O2 with sanitizers and debug information
# ("Cannot represent a difference across sections").
option(ROADSIDE_FUZZ "Build libFuzzer targets (clang only)" OFF)
if(ROADSIDE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "ROADSIDE_FUZZ needs clang (CXX=clang++ CC=clang)")
  endif()
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
function(roadside_fuzz_flags)
  if(NOT ROADSIDE_FUZZ)
    return()
  endif()
  foreach(source IN LISTS ARGN)
    # A source the build generates (an absolute path into the build folder) holds data only.
    if(IS_ABSOLUTE ${source})
      continue()
    endif()
    file(READ ${CMAKE_CURRENT_SOURCE_DIR}/${source} text)
    if(text MATCHES "co_await|co_return")
      set_property(SOURCE ${source} APPEND PROPERTY COMPILE_OPTIONS -fno-sanitize=all -g0)
    else()
      set_property(SOURCE ${source} APPEND PROPERTY COMPILE_OPTIONS -fsanitize=fuzzer-no-link)
    endif()
  endforeach()
endfunction()

# Hardening for the builds that ship (the release preset, the image's Release build): glibc's
# checked string and memory functions (_FORTIFY_SOURCE=3 needs optimization, so not in Debug),
# canaries on frames with arrays or address-taken locals, a position-independent executable
# for ASLR, and full RELRO (the GOT read-only after start-up, every symbol bound at load).
# Debug and sanitizer builds skip it: ASan replaces the checked functions and has its own
# canaries, and a debugger is happier without them.
# The dev preset (-Og) still defines _FORTIFY_SOURCE=3 itself, so `make test` sees the
# warnings it brings (an ignored write(2) result) before the image's Release build does.
option(ROADSIDE_HARDEN "Hardened compile and link flags in optimized builds" ON)
if(ROADSIDE_HARDEN AND NOT ROADSIDE_SANITIZE AND NOT ROADSIDE_FUZZ AND NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
  set(CMAKE_POSITION_INDEPENDENT_CODE ON)
  include(CheckPIESupported)
  check_pie_supported()
  add_compile_options(-fstack-protector-strong -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3)
  add_link_options(-Wl,-z,relro,-z,now)
  set(ROADSIDE_HARDENED ON)
endif()

# roadside_module(NAME SOURCES ... DEPS ...)
# One folder = one static library `roadside_<name>` with include root src/.
function(roadside_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(roadside_${name} STATIC ${M_SOURCES})
  roadside_fuzz_flags(${M_SOURCES})
  add_library(roadside::${name} ALIAS roadside_${name})
  target_include_directories(roadside_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(roadside_${name} PUBLIC ${M_DEPS} PRIVATE roadside_warnings)
endfunction()

# roadside_unit_test(NAME SOURCES ... DEPS ... [LABELS label] [PROPERTIES ...])
# (One label, and no lists in PROPERTIES: gtest_discover_tests flattens them.)
# A GoogleTest binary beside the code it tests, registered test by test with ctest.
function(roadside_unit_test name)
  if(NOT ROADSIDE_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "" "SOURCES;DEPS;LABELS;PROPERTIES" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} roadside_test_support GTest::gmock GTest::gtest_main roadside_warnings)
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT 120 ${T_PROPERTIES})
endfunction()
