# libFuzzer targets for every gateway decoder that takes outside bytes (docs/fuzzing.md). Only
# in a build tree of their own, configured with clang and -DSWITCHBOARD_FUZZ=ON (`make fuzz`
# does it in build-fuzz); the target `fuzz_targets` builds them and the libraries they need.
option(SWITCHBOARD_FUZZ "Build the libFuzzer targets (clang only; target fuzz_targets)" OFF)
if(NOT SWITCHBOARD_FUZZ)
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "SWITCHBOARD_FUZZ needs clang (CXX=clang++-14), not ${CMAKE_CXX_COMPILER_ID}")
endif()

# Every sanitizer report is fatal, so that libFuzzer stops on it and keeps the input.
set(SB_FUZZ_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=all
  -fno-omit-frame-pointer)

# The decoders' libraries are instrumented for coverage and sanitized, as built by the build
# type. The libraries that are only linked in (the proxy and the listeners in sb_gateway, TLS,
# sb_common, generated protobuf code) are built unoptimized and uninstrumented, which halves
# their compile time; of sb_gateway only the config parser is instrumented. System libraries
# are as Debian ships them.
foreach(lib sb_gateway_codec sb_gateway_rest sb_gateway_grpcweb sb_gateway_static
    sb_gateway_auth sb_gateway_limits sb_lb)
  if(TARGET ${lib})
    target_compile_options(${lib} PRIVATE -fsanitize=fuzzer-no-link ${SB_FUZZ_SANITIZE})
  endif()
endforeach()
foreach(lib sb_gateway sb_gateway_transport sb_common sb_proto)
  if(TARGET ${lib})
    target_compile_options(${lib} PRIVATE -O0 -gline-tables-only)
  endif()
endforeach()
set_source_files_properties(${PROJECT_SOURCE_DIR}/src/gateway/gateway_config.cc
  DIRECTORY ${PROJECT_SOURCE_DIR}/src/gateway
  PROPERTIES COMPILE_OPTIONS "-O2;-fsanitize=fuzzer-no-link;${SB_FUZZ_SANITIZE}")

# The routes of the real contracts (the build's switchboard.pb), shared by the REST targets.
add_library(sb_fuzz_real_routes STATIC ${PROJECT_SOURCE_DIR}/fuzz/real_routes.cc)
target_include_directories(sb_fuzz_real_routes PUBLIC ${PROJECT_SOURCE_DIR}/fuzz)
target_link_libraries(sb_fuzz_real_routes PUBLIC sb_gateway_rest)
target_compile_definitions(sb_fuzz_real_routes PRIVATE
  SB_DESCRIPTOR_SET="${CMAKE_BINARY_DIR}/switchboard.pb")
target_compile_options(sb_fuzz_real_routes PRIVATE ${SB_FUZZ_SANITIZE})
add_dependencies(sb_fuzz_real_routes sb_descriptor_set)

add_custom_target(fuzz_targets)

# sb_add_fuzzer(NAME name LIBS ...): fuzz/<name>_fuzz.cc as build-fuzz/fuzz/<name>_fuzz.
function(sb_add_fuzzer)
  cmake_parse_arguments(F "" "NAME" "LIBS" ${ARGN})
  set(target ${F_NAME}_fuzz)
  add_executable(${target} ${PROJECT_SOURCE_DIR}/fuzz/${target}.cc)
  target_compile_options(${target} PRIVATE -fsanitize=fuzzer ${SB_FUZZ_SANITIZE})
  target_link_options(${target} PRIVATE -fsanitize=fuzzer ${SB_FUZZ_SANITIZE})
  target_link_libraries(${target} PRIVATE ${F_LIBS})
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  add_dependencies(fuzz_targets ${target})
endfunction()

# The gRPC wire (codec/).
sb_add_fuzzer(NAME grpc_framing LIBS sb_gateway_codec)
sb_add_fuzzer(NAME grpc_headers LIBS sb_gateway_codec)

# gRPC-Web (grpcweb/).
sb_add_fuzzer(NAME grpcweb_base64 LIBS sb_gateway_grpcweb)
sb_add_fuzzer(NAME grpcweb_stream LIBS sb_gateway_grpcweb)

# REST (rest/): paths and templates alone, then routes, queries and JSON bodies against the real
# contracts.
sb_add_fuzzer(NAME rest_path LIBS sb_gateway_rest)
sb_add_fuzzer(NAME rest_route LIBS sb_fuzz_real_routes)
sb_add_fuzzer(NAME rest_transcoder LIBS sb_fuzz_real_routes)

# WebSocket (websocket/): the JSON of each text frame.
sb_add_fuzzer(NAME websocket_message LIBS sb_fuzz_real_routes)

# HTTP/1.1 (http1/): the request head and the body parser after it.
sb_add_fuzzer(NAME http1_request LIBS sb_gateway)

# The gateway's YAML config.
sb_add_fuzzer(NAME gateway_config LIBS sb_gateway)

# Authentication (auth/): a client's token against a fixed key set, and an operator's JWKS.
sb_add_fuzzer(NAME jwt LIBS sb_gateway_auth)
sb_add_fuzzer(NAME jwks LIBS sb_gateway_auth)
