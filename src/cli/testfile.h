/*
 * testfile.h — a test file parsed into TestCases (cmd_test.h has the
 * model; docs/test-format.md the format).
 */
#ifndef EDDY_TESTFILE_H
#define EDDY_TESTFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd_test.h"

typedef struct TestFile {
    const char *path;     /* as given on the command line */
    char       *text;     /* the whole file (heap) */
    size_t      len;      /* its length */
    size_t     *lines;    /* start offset of each line; lines[nlines] = len */
    int         nlines;   /* count */
    PtrList     cases;    /* TestCase* in file order */
    Arena       arena;    /* the parsed model */
    char        err[512]; /* why the file cannot be parsed */
} TestFile;

/* Reads and parses the file at path; 0, or -1 with f->err.  tf_free in
 * either case. */
int  tf_load(TestFile *f, const char *path);
/* Parses text (copied) as the file named path; as tf_load. */
int  tf_parse_text(TestFile *f, const char *path, const char *text, size_t len);
void tf_free(TestFile *f);

/* Whether a section kind is an expectation (changelog, table, error, plan, counts). */
static inline bool tf_is_expectation(TestSectionKind k) { return k >= TS_CHANGELOG; }
/* The word after `--- ` of a section kind ("changelog"). */
const char *tf_section_word(TestSectionKind k);
bool tf_is_blank(const char *s, size_t n);
void tf_rtrim(const char *s, size_t *n);

#endif
