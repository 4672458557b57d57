# Builds one man page from its scdoc source (cmake -P, from docs/CMakeLists.txt):
# fills in @PROJECT_VERSION@ and @WASHMIX_DOCDIR@, runs scdoc, and leaves no
# half-written page behind. scdoc dates the page from SOURCE_DATE_EPOCH if set.
# -DSCDOC=path -DIN=page.scd -DOUT=page -DPROJECT_VERSION=x.y.z
# -DWASHMIX_DOCDIR=/usr/share/doc/washmix
file(READ "${IN}" source)
string(CONFIGURE "${source}" source @ONLY)
file(WRITE "${OUT}.scd" "${source}")
execute_process(COMMAND "${SCDOC}" INPUT_FILE "${OUT}.scd" OUTPUT_FILE "${OUT}.tmp"
                ERROR_VARIABLE why RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  file(REMOVE "${OUT}.tmp")
  message(FATAL_ERROR "scdoc could not build ${OUT} from ${IN}: ${why}")
endif()
file(RENAME "${OUT}.tmp" "${OUT}")
