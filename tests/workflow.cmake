# Workflow tests, included from tests/CMakeLists.txt. The real packs live
# outside the repository in ../shared/packs; tests that read them are skipped,
# by name, when they are missing (packs.hpp). The team's own corpus is
# tests/corpus/packs.
set(PACKLINE_PACKS_DIR "${PROJECT_SOURCE_DIR}/../shared/packs" CACHE PATH "the real agenda packs used as test input")

function(packline_workflow_test name)
  packline_test(${name} ${ARGN})
  target_compile_definitions(${name} PRIVATE PACKLINE_PACKS_DIR="${PACKLINE_PACKS_DIR}"
                                             PACKLINE_CORPUS_DIR="${CMAKE_CURRENT_SOURCE_DIR}/corpus/packs")
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
endfunction()

packline_workflow_test(pack_import_test pack_import_test.cpp)
packline_workflow_test(workflow_test workflow_test.cpp)
packline_workflow_test(export_test export_test.cpp)

# The whole cycle across replicas through the real server binary, and the
# packline CLI driven as a user would (both start packline-server).
if(TARGET server_test_support)
  add_executable(workflow_integration_test workflow_integration_test.cpp $<TARGET_OBJECTS:test_main>)
  target_link_libraries(workflow_integration_test PRIVATE server_test_support doctest::doctest)
  target_include_directories(workflow_integration_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_definitions(workflow_integration_test PRIVATE PACKLINE_PACKS_DIR="${PACKLINE_PACKS_DIR}")
  add_dependencies(workflow_integration_test packline-server)
  add_test(NAME workflow_integration_test COMMAND workflow_integration_test)
  set_tests_properties(workflow_integration_test PROPERTIES TIMEOUT 300
    ENVIRONMENT "PACKLINE_SERVER_BIN=$<TARGET_FILE:packline-server>")

  add_executable(cli_test cli_test.cpp $<TARGET_OBJECTS:test_main>)
  target_link_libraries(cli_test PRIVATE server_test_support doctest::doctest)
  target_include_directories(cli_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_definitions(cli_test PRIVATE PACKLINE_PACKS_DIR="${PACKLINE_PACKS_DIR}"
    PACKLINE_CORPUS_DIR="${CMAKE_CURRENT_SOURCE_DIR}/corpus/packs" PACKLINE_CLI_BIN="$<TARGET_FILE:packline>")
  add_dependencies(cli_test packline packline-server)
  add_test(NAME cli_test COMMAND cli_test)
  set_tests_properties(cli_test PROPERTIES TIMEOUT 300
    ENVIRONMENT "PACKLINE_SERVER_BIN=$<TARGET_FILE:packline-server>")
endif()
