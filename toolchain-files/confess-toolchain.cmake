# confess: the toolchain file confess gives CMake (CMAKE_TOOLCHAIN_FILE).
#
# It first loads the user's own toolchain file, if there is one (cross compiling keeps
# working), then points every tool CMake runs at the confess shims. During configure the shims
# run the real tools behind them, so compiler identification, ABI detection, try_compile,
# try_run and check_* get real answers; during the build they write GraphNode tokens.
#
# The shim directories come from the environment the confess driver sets, and are kept in the
# cache so that CMake re-running itself inside the build (and try_compile projects) finds them.

if(DEFINED ENV{CONFESS_USER_TOOLCHAIN} AND NOT "$ENV{CONFESS_USER_TOOLCHAIN}" STREQUAL "")
  include("$ENV{CONFESS_USER_TOOLCHAIN}")
endif()

if(DEFINED ENV{CONFESS_SHIM_DIR} AND NOT "$ENV{CONFESS_SHIM_DIR}" STREQUAL "")
  set(CONFESS_SHIM_DIR "$ENV{CONFESS_SHIM_DIR}" CACHE INTERNAL "confess shim directory")
  set(CONFESS_SHIM_PRIVATE_DIR "$ENV{CONFESS_SHIM_PRIVATE_DIR}" CACHE INTERNAL "confess shims not on PATH")
endif()
if(NOT CONFESS_SHIM_DIR)
  message(FATAL_ERROR "confess-toolchain.cmake: CONFESS_SHIM_DIR is not set: this file is meant to be loaded by `confess cmake`")
endif()

# The compilers the user chose (CC, CXX) keep their names: gcc-12 stays gcc-12, as a shim.
set(_confess_cc "cc")
set(_confess_cxx "c++")
if(DEFINED ENV{CONFESS_CC} AND NOT "$ENV{CONFESS_CC}" STREQUAL "")
  set(_confess_cc "$ENV{CONFESS_CC}")
endif()
if(DEFINED ENV{CONFESS_CXX} AND NOT "$ENV{CONFESS_CXX}" STREQUAL "")
  set(_confess_cxx "$ENV{CONFESS_CXX}")
endif()

set(CMAKE_C_COMPILER "${CONFESS_SHIM_DIR}/${_confess_cc}" CACHE FILEPATH "C compiler (confess shim)" FORCE)
set(CMAKE_CXX_COMPILER "${CONFESS_SHIM_DIR}/${_confess_cxx}" CACHE FILEPATH "C++ compiler (confess shim)" FORCE)
set(CMAKE_ASM_COMPILER "${CONFESS_SHIM_DIR}/${_confess_cc}" CACHE FILEPATH "assembler driver (confess shim)" FORCE)
set(CMAKE_AR "${CONFESS_SHIM_DIR}/ar" CACHE FILEPATH "archiver (confess shim)" FORCE)
set(CMAKE_RANLIB "${CONFESS_SHIM_DIR}/ranlib" CACHE FILEPATH "ranlib (confess shim)" FORCE)
set(CMAKE_NM "${CONFESS_SHIM_DIR}/nm" CACHE FILEPATH "nm (confess shim)" FORCE)
set(CMAKE_OBJCOPY "${CONFESS_SHIM_DIR}/objcopy" CACHE FILEPATH "objcopy (confess shim)" FORCE)
set(CMAKE_OBJDUMP "${CONFESS_SHIM_DIR}/objdump" CACHE FILEPATH "objdump (confess shim)" FORCE)
set(CMAKE_READELF "${CONFESS_SHIM_DIR}/readelf" CACHE FILEPATH "readelf (confess shim)" FORCE)
set(CMAKE_STRIP "${CONFESS_SHIM_DIR}/strip" CACHE FILEPATH "strip (confess shim)" FORCE)
if(CONFESS_SHIM_PRIVATE_DIR)
  set(CMAKE_LINKER "${CONFESS_SHIM_PRIVATE_DIR}/ld" CACHE FILEPATH "linker (confess shim)" FORCE)
endif()
# gcc-ar and friends for interprocedural optimisation.
set(CMAKE_C_COMPILER_AR "${CONFESS_SHIM_DIR}/gcc-ar" CACHE FILEPATH "" FORCE)
set(CMAKE_C_COMPILER_RANLIB "${CONFESS_SHIM_DIR}/gcc-ranlib" CACHE FILEPATH "" FORCE)
set(CMAKE_CXX_COMPILER_AR "${CONFESS_SHIM_DIR}/gcc-ar" CACHE FILEPATH "" FORCE)
set(CMAKE_CXX_COMPILER_RANLIB "${CONFESS_SHIM_DIR}/gcc-ranlib" CACHE FILEPATH "" FORCE)

# try_compile projects load this file again: let them see where the shims are.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CONFESS_SHIM_DIR CONFESS_SHIM_PRIVATE_DIR)

# CMake before 3.24 has no dependency providers (nor CMAKE_PROJECT_TOP_LEVEL_INCLUDES): there
# the driver names the recorder here, and it overrides find_package instead.
if(DEFINED ENV{CONFESS_DEPS_FILE} AND NOT "$ENV{CONFESS_DEPS_FILE}" STREQUAL "")
  include("$ENV{CONFESS_DEPS_FILE}")
endif()
