# packline_embed_sql(TARGET_HEADER VAR DIR): generates TARGET_HEADER holding
# the .sql files of DIR (in name order) as an array VAR of raw strings, rebuilt
# when a file changes (see embed_sql.cmake, which does the writing).
function(packline_embed_sql header var dir)
  file(GLOB sql CONFIGURE_DEPENDS ${dir}/*.sql)
  string(REPLACE ";" "|" sql_arg "${sql}")  # one argument through the shell
  add_custom_command(
    OUTPUT ${header}
    COMMAND ${CMAKE_COMMAND} -DOUT=${header} -DVAR=${var} "-DFILES=${sql_arg}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_sql.cmake
    DEPENDS ${sql} ${PROJECT_SOURCE_DIR}/cmake/embed_sql.cmake
    COMMENT "Embedding ${var}" VERBATIM)
endfunction()

# packline_embed_text(TARGET_HEADER VAR FILE): the same for one text file
# (the demo's sample pack), as VAR[0].
function(packline_embed_text header var file)
  add_custom_command(
    OUTPUT ${header}
    COMMAND ${CMAKE_COMMAND} -DOUT=${header} -DVAR=${var} "-DFILES=${file}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_sql.cmake
    DEPENDS ${file} ${PROJECT_SOURCE_DIR}/cmake/embed_sql.cmake
    COMMENT "Embedding ${var}" VERBATIM)
endfunction()
