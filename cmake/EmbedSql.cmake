# packline_embed(TARGET_HEADER VAR FILE...): generates TARGET_HEADER holding
# the files (in name order) as an array VAR of raw strings, rebuilt when a
# file changes (see embed_sql.cmake, which does the writing).
function(packline_embed header var)
  string(REPLACE ";" "|" files_arg "${ARGN}")  # one argument through the shell
  add_custom_command(
    OUTPUT ${header}
    COMMAND ${CMAKE_COMMAND} -DOUT=${header} -DVAR=${var} "-DFILES=${files_arg}" -P ${PROJECT_SOURCE_DIR}/cmake/embed_sql.cmake
    DEPENDS ${ARGN} ${PROJECT_SOURCE_DIR}/cmake/embed_sql.cmake
    COMMENT "Embedding ${var}" VERBATIM)
endfunction()

# packline_embed_sql(TARGET_HEADER VAR DIR): the .sql files of DIR.
function(packline_embed_sql header var dir)
  file(GLOB sql CONFIGURE_DEPENDS ${dir}/*.sql)
  packline_embed(${header} ${var} ${sql})
endfunction()
