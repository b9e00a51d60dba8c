# Every third-party dependency comes from Debian 12 packages (scripts/setup.sh).

find_package(Threads REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(Boost 1.81 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(spdlog 1.10 REQUIRED)
find_package(yaml-cpp 0.7 REQUIRED)
find_package(CLI11 2.1 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(LibXml2 REQUIRED)
# zlib: gzip for the operational data payload (libzip-dev brings zlib1g-dev).
find_package(ZLIB REQUIRED)
# libzip via pkg-config: Debian's CMake package for it requires the zipcmp/zipmerge/ziptool
# binaries, which nothing here needs.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)
# PKCS#11's header only (p11-kit's pkcs11.h, the standard's types and names): the signer loads a
# device's library itself with dlopen, so nothing is linked.
find_path(PKCS11_INCLUDE_DIR p11-kit/pkcs11.h PATH_SUFFIXES p11-kit-1 REQUIRED)
add_library(roadside_pkcs11_header INTERFACE)
target_include_directories(roadside_pkcs11_header SYSTEM INTERFACE ${PKCS11_INCLUDE_DIR})
target_link_libraries(roadside_pkcs11_header INTERFACE ${CMAKE_DL_LIBS})

if(ROADSIDE_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()

# Boost.Asio/Beast are header-only here; one definition set for all users.
add_library(roadside_asio INTERFACE)
target_link_libraries(roadside_asio INTERFACE Boost::headers OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
target_compile_definitions(roadside_asio INTERFACE
  BOOST_ASIO_NO_DEPRECATED
  BOOST_ASIO_DISABLE_BOOST_COROUTINE)
