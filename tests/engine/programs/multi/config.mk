SOURCES = main.c lib.c
CFLAGS = -DSCALE=3.0
