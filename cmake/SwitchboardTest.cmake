# sb_add_test(NAME name LABEL label SOURCES ... LIBS ...): one GoogleTest binary registered with
# ctest under a label (unit, e2e, interop, browser), every test case its own ctest entry.

# The suites that feed the gateway every kind of bad input; `make test` also runs them once in an
# AddressSanitizer build (SWITCHBOARD_ASAN=ON: built by the target `asan_tests`, labelled
# `asan` there).
set(SB_ASAN_TESTS
  gateway_framing_test gateway_config_test gateway_rest_test gateway_grpcweb_test
  gateway_native_proxy_test gateway_http1_test gateway_h2c_web_test interop_cases_test)
if(NOT TARGET asan_tests)
  add_custom_target(asan_tests)
endif()

function(sb_add_test)
  cmake_parse_arguments(T "" "NAME;LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
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
  gtest_discover_tests(${T_NAME}
    PROPERTIES LABELS ${label} TIMEOUT ${T_TIMEOUT}
    DISCOVERY_TIMEOUT 30)
endfunction()
