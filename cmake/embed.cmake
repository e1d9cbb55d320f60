# Turns a text file into a C header holding it as a NUL-terminated array,
# so the binary carries the reference job (eddy demo works from any directory).
# Usage: cmake -DIN=file -DOUT=header -DNAME=symbol -P embed.cmake
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," arr "${hex}")
file(WRITE ${OUT} "/* generated from ${IN}: do not edit */\nstatic const char ${NAME}[] = {${arr} 0};\n")
