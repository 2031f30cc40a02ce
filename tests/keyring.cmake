# Secured-panel tests that need the server: sync_handler membership in process, and
# the real server with the packline CLI end to end. Included from
# tests/CMakeLists.txt after server.cmake (which provides packline_server_test).
if(TARGET server_test_support)
  packline_server_test(server_membership_test server_membership_test.cpp)

  add_executable(crypto_e2e_test crypto_e2e_test.cpp $<TARGET_OBJECTS:test_main>)
  target_link_libraries(crypto_e2e_test PRIVATE server_test_support doctest::doctest)
  target_include_directories(crypto_e2e_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_definitions(crypto_e2e_test PRIVATE PACKLINE_CLI_BIN="$<TARGET_FILE:packline>")
  add_dependencies(crypto_e2e_test packline packline-server)
  add_test(NAME crypto_e2e_test COMMAND crypto_e2e_test)
  set_tests_properties(crypto_e2e_test PROPERTIES TIMEOUT 300
    ENVIRONMENT "PACKLINE_SERVER_BIN=$<TARGET_FILE:packline-server>")
endif()

# The threat model in code: a member with a modified client against the real
# server, then what an honest new tablet shows.
if(TARGET server_test_support)
  add_executable(threat_model_test threat_model_test.cpp $<TARGET_OBJECTS:test_main>)
  target_link_libraries(threat_model_test PRIVATE server_test_support doctest::doctest)
  target_include_directories(threat_model_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_definitions(threat_model_test PRIVATE PACKLINE_CLI_BIN="$<TARGET_FILE:packline>")
  add_dependencies(threat_model_test packline packline-server)
  add_test(NAME threat_model_test COMMAND threat_model_test)
  set_tests_properties(threat_model_test PROPERTIES TIMEOUT 300
    ENVIRONMENT "PACKLINE_SERVER_BIN=$<TARGET_FILE:packline-server>")
endif()
