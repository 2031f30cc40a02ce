# Workflow tests (issue 6), included from tests/CMakeLists.txt. The real packs
# live outside the repository in ../shared/packs; tests fail (never skip)
# when they are missing.
set(PACKLINE_PACKS_DIR "${PROJECT_SOURCE_DIR}/../shared/packs" CACHE PATH "the real agenda packs used as test input")

function(packline_workflow_test name)
  packline_test(${name} ${ARGN})
  target_compile_definitions(${name} PRIVATE PACKLINE_PACKS_DIR="${PACKLINE_PACKS_DIR}")
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
endfunction()

packline_workflow_test(pack_import_test pack_import_test.cpp)
packline_workflow_test(workflow_test workflow_test.cpp)
packline_workflow_test(export_test export_test.cpp)
