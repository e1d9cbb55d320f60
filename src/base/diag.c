/*
 * diag.c — recording the first compile error and rendering it with a caret.
 */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void diag_clear(Diag *d)
{
    d->code = 0;
    d->offset = -1;
    d->msg[0] = 0;
}

int diag_error(Diag *d, int code, int offset, const char *fmt, ...)
{
    if (d->code) return d->code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof d->msg, fmt, ap);
    va_end(ap);
    d->code = code;
    d->offset = offset;
    return code;
}

void diag_linecol(const char *src, size_t len, int offset, int *line, int *col)
{
    int l = 1, c = 1;
    if (offset < 0) offset = 0;
    if ((size_t)offset > len) offset = (int)len;
    for (int i = 0; i < offset; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

void diag_linecol_advance(const char *src, size_t len, int from, int to, int *line, int *col)
{
    if (from < 0) from = 0;
    if ((size_t)to > len) to = (int)len;
    for (int i = from; i < to; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch == '\n') {
            ++*line;
            *col = 1;
        } else if ((ch & 0xC0) != 0x80) {
            ++*col;
        }
    }
}

void diag_format(const Diag *d, const char *file, const char *src, size_t len, StrBuf *out)
{
    if (!file) file = "<input>";
    if (d->offset < 0 || !src) {
        sb_printf(out, "%s: error: %s\n", file, d->msg);
        return;
    }
    int line, col;
    diag_linecol(src, len, d->offset, &line, &col);
    sb_printf(out, "%s:%d:%d: error: %s\n", file, line, col, d->msg);

    size_t off = (size_t)d->offset > len ? len : (size_t)d->offset;
    size_t start = off, end = off;
    while (start > 0 && src[start - 1] != '\n') start--;
    while (end < len && src[end] != '\n' && src[end] != '\r') end++;
    /* At end of input after a newline, show the last non-empty line instead. */
    if (start == end && start > 0 && off == len) {
        size_t e = start - 1, s = e;
        while (s > 0 && src[s - 1] != '\n') s--;
        sb_putn(out, src + s, e - s);
        sb_putc(out, '\n');
        for (size_t i = s; i < e; i++) sb_putc(out, src[i] == '\t' ? '\t' : ' ');
        sb_puts(out, "^\n");
        return;
    }
    sb_putn(out, src + start, end - start);
    sb_putc(out, '\n');
    for (size_t i = start; i < off; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch == '\t') sb_putc(out, '\t');
        else if ((ch & 0xC0) != 0x80) sb_putc(out, ' ');
    }
    sb_puts(out, "^\n");
}
