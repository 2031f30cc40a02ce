# Server tests, included from tests/CMakeLists.txt (which provides test_main).
# server_store_test / server_handler_test / server_static_test run in-process
# against sync_server_lib; server_integration_test starts the real
# packline-server binary and drives it with native clients over WebSocket.

function(packline_server_test name)
  add_executable(${name} ${ARGN} $<TARGET_OBJECTS:test_main>)
  target_link_libraries(${name} PRIVATE sync_server_lib server_test_support doctest::doctest)
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  add_test(NAME ${name} COMMAND ${name})
endfunction()

# Test support without Beast: temp folders, the server child process, the
# sync clients, over the CLI's network client (cli/net, packline_net).
add_library(server_test_support STATIC support/server_process.cpp support/sync_client.cpp)
target_link_libraries(server_test_support PUBLIC client_core packline_net)
target_compile_definitions(server_test_support PRIVATE
  PACKLINE_SERVER_BIN="$<TARGET_FILE:packline-server>")

packline_server_test(server_store_test server_store_test.cpp)
packline_server_test(server_handler_test server_handler_test.cpp)
packline_server_test(server_static_test server_static_test.cpp)
target_compile_definitions(server_static_test PRIVATE PACKLINE_VERSION="${PROJECT_VERSION}")

add_executable(server_integration_test server_integration_test.cpp $<TARGET_OBJECTS:test_main>)
target_link_libraries(server_integration_test PRIVATE server_test_support doctest::doctest)
target_include_directories(server_integration_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
# The test runs the binary; make sure `cmake --build` of the test builds it too.
add_dependencies(server_integration_test packline-server)
add_test(NAME server_integration_test COMMAND server_integration_test)
set_tests_properties(server_integration_test PROPERTIES TIMEOUT 300
  ENVIRONMENT "PACKLINE_SERVER_BIN=$<TARGET_FILE:packline-server>")

# Issue 5: fan-out, slow consumers, snapshots, kill -9 storm (real binary).
add_executable(server_scale_test server_scale_test.cpp $<TARGET_OBJECTS:test_main>)
target_link_libraries(server_scale_test PRIVATE server_test_support doctest::doctest)
target_include_directories(server_scale_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
add_dependencies(server_scale_test packline-server)
add_test(NAME server_scale_test COMMAND server_scale_test)
set_tests_properties(server_scale_test PROPERTIES TIMEOUT 300)

# TLS: the network client over https:// and wss://, checked against the test's CA.
add_executable(server_tls_test server_tls_test.cpp $<TARGET_OBJECTS:test_main>)
target_link_libraries(server_tls_test PRIVATE server_test_support doctest::doctest)
target_include_directories(server_tls_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
add_dependencies(server_tls_test packline-server)
add_test(NAME server_tls_test COMMAND server_tls_test)
set_tests_properties(server_tls_test PROPERTIES TIMEOUT 120)

# Fuzz regressions (fuzz/run.sh adds crashers to corpus/regression/).
add_executable(server_fuzz_corpus_test server_fuzz_corpus_test.cpp $<TARGET_OBJECTS:test_main>)
target_link_libraries(server_fuzz_corpus_test PRIVATE client_core doctest::doctest)
target_compile_definitions(server_fuzz_corpus_test PRIVATE PACKLINE_CORPUS_DIR="${CMAKE_CURRENT_SOURCE_DIR}/corpus")
add_test(NAME server_fuzz_corpus_test COMMAND server_fuzz_corpus_test)

# The server as an attacker meets it: hostile targets and frames over raw
# sockets, the server-wide memory cap, damaged store files (real binary).
add_executable(server_hardening_test server_hardening_test.cpp $<TARGET_OBJECTS:test_main>)
target_link_libraries(server_hardening_test PRIVATE server_test_support doctest::doctest)
target_include_directories(server_hardening_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
add_dependencies(server_hardening_test packline-server)
add_test(NAME server_hardening_test COMMAND server_hardening_test)
set_tests_properties(server_hardening_test PROPERTIES TIMEOUT 300)
