# Writes the shell completions of TCHAT (tchat --completion SHELL) into DIR:
# tchat (bash), _tchat (zsh), tchat.fish (fish).
file(MAKE_DIRECTORY "${DIR}")
foreach(pair bash:tchat zsh:_tchat fish:tchat.fish)
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 shell)
  list(GET pair 1 name)
  execute_process(COMMAND "${TCHAT}" --completion ${shell}
                  OUTPUT_FILE "${DIR}/${name}.tmp" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${TCHAT} --completion ${shell} failed: ${rc}")
  endif()
  file(RENAME "${DIR}/${name}.tmp" "${DIR}/${name}")
endforeach()
