# sb_add_test(NAME name LABEL label SOURCES ... LIBS ...): one GoogleTest binary registered with
# ctest under a label (unit, e2e, interop, browser), every test case its own ctest entry.

# The suites that feed the gateway every kind of bad input (tokens and JWKS too); `make test` also runs them once in an
# AddressSanitizer build (SWITCHBOARD_ASAN=ON: built by the target `asan_tests`, labelled
# `asan` there).
set(SB_ASAN_TESTS
  gateway_framing_test gateway_config_test gateway_rest_test gateway_grpcweb_test
  gateway_native_proxy_test gateway_http1_test gateway_h2c_web_test interop_cases_test
  gateway_auth_test gateway_limits_test gateway_https_url_test gateway_jwks_uri_test)
if(NOT TARGET asan_tests)
  add_custom_target(asan_tests)
endif()

# The gateways' event-loop counts a GATEWAY_WORKERS suite runs with (see sb_add_test); the first
# keeps the test names as they are.
set(SB_GATEWAY_TEST_WORKER_COUNTS 1 2)

# GATEWAY_WORKERS: a suite that starts gateways runs twice, as `workers: 1` and as `workers: 2`
# (SB_GATEWAY_TEST_WORKERS, read by gateway/testing/gateway_test_support.h), the second run's tests
# named <Suite>.<Test>.workers2, so that every behaviour is also checked with two event loops.
function(sb_add_test)
  cmake_parse_arguments(T "GATEWAY_WORKERS" "NAME;LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set(label ${T_LABEL})
  if(T_NAME IN_LIST SB_ASAN_TESTS)
    add_dependencies(asan_tests ${T_NAME})
    # One label per test: a list would be split apart by gtest_discover_tests.
    if(SWITCHBOARD_ASAN)
      set(label asan)
    endif()
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  if(NOT T_GATEWAY_WORKERS)
    gtest_discover_tests(${T_NAME}
      PROPERTIES LABELS ${label} TIMEOUT ${T_TIMEOUT}
      DISCOVERY_TIMEOUT 30)
    return()
  endif()
  list(GET SB_GATEWAY_TEST_WORKER_COUNTS 0 plain)
  foreach(workers IN LISTS SB_GATEWAY_TEST_WORKER_COUNTS)
    set(suffix "")
    if(NOT workers EQUAL plain)
      set(suffix .workers${workers})
    endif()
    gtest_discover_tests(${T_NAME}
      TEST_SUFFIX "${suffix}"
      TEST_LIST ${T_NAME}_TESTS_WORKERS${workers}
      PROPERTIES LABELS ${label} TIMEOUT ${T_TIMEOUT}
        ENVIRONMENT SB_GATEWAY_TEST_WORKERS=${workers}
      DISCOVERY_TIMEOUT 30)
  endforeach()
endfunction()
