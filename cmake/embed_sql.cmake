# Writes a C++ header holding SQL migration files as an array of raw strings,
# in file-name order: embed_sql(OUT header VAR name FILES a.sql b.sql ...).
# Run in script mode: cmake -DOUT=... -DVAR=... -DFILES="a;b" -P embed_sql.cmake
string(REPLACE "|" ";" FILES "${FILES}")
list(SORT FILES)
set(body "// Generated from schema/ by cmake/embed_sql.cmake. Do not edit.\n#pragma once\n")
string(APPEND body "inline constexpr const char* ${VAR}[] = {\n")
foreach(f ${FILES})
  file(READ ${f} sql)
  string(APPEND body "R\"packline_sql(${sql})packline_sql\",\n")
endforeach()
string(APPEND body "};\n")
file(WRITE ${OUT}.tmp "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
