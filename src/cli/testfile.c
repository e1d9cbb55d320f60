/*
 * testfile.c — the test-file format (docs/test-format.md): a file's text,
 * its line table, and the parser into TestCases (testfile.h).  Kept apart
 * from running and judging (cmd_test.c) so it can be fuzzed alone
 * (tests/fuzz/fuzz_testfile.c).
 */
#define _POSIX_C_SOURCE 200809L
#include "testfile.h"

#include "civil.h"
#include "options.h"

#include <ctype.h>
#include <stdint.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool tf_is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i])) return false;
    return true;
}

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1])) (*n)--;
}

void tf_rtrim(const char *s, size_t *n)
{
    while (*n && isspace((unsigned char)s[*n - 1])) (*n)--;
}

#define is_blank tf_is_blank
#define rtrim tf_rtrim

/* ------------------------------------------------------------------ */
/* A test file: its text, its lines, its cases                          */



/* Line i (0-based) without its line ending. */
static const char *line_at(const TestFile *f, int i, size_t *n)
{
    size_t a = f->lines[i], b = f->lines[i + 1];
    while (b > a && (f->text[b - 1] == '\n' || f->text[b - 1] == '\r')) b--;
    *n = b - a;
    return f->text + a;
}

static bool line_is_comment(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && isspace((unsigned char)s[i])) i++;
    return i < n && s[i] == '#';
}

static bool line_is_filler(const TestFile *f, int i)
{
    size_t n;
    const char *s = line_at(f, i, &n);
    return is_blank(s, n) || line_is_comment(s, n);
}

/* Records why the file cannot be parsed, at 0-based line line0; returns -1. */
static int file_error(TestFile *f, int line0, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int file_error(TestFile *f, int line0, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(f->err, sizeof f->err, "%s:%d: %s", f->path, line0 + 1, msg);
    return -1;
}

static const struct {
    const char     *word;   /* after `--- ` */
    TestSectionKind kind;
    int             arg;    /* 0 none, 1 optional, 2 required */
} section_words[] = {
    {"sql", TS_SQL, 0},           {"input", TS_INPUT, 2},  {"options", TS_OPTIONS, 0},
    {"changelog", TS_CHANGELOG, 1}, {"table", TS_TABLE, 1}, {"error", TS_ERROR, 0},
    {"plan", TS_PLAN, 0},         {"counts", TS_COUNTS, 0}, {"printed", TS_PRINTED, 0},
};

#define is_expectation tf_is_expectation

const char *tf_section_word(TestSectionKind k)
{
    for (size_t i = 0; i < sizeof section_words / sizeof section_words[0]; i++)
        if (section_words[i].kind == k) return section_words[i].word;
    return "?";
}

/* ---- records of an input section ---- */

/* Length of a JSON-ish token starting at s[0] in { [ ": up to its balanced end. */
static size_t json_token_len(const char *s, size_t n)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\') i++;
            else if (c == '"') {
                in_str = false;
                if (depth == 0) return i + 1;
            }
            continue;
        }
        if (c == '"') in_str = true;
        else if (c == '{' || c == '[') depth++;
        else if (c == '}' || c == ']') {
            if (--depth <= 0) return i + 1;
        }
    }
    return n;   /* unbalanced: the rest of the line */
}


/* ts=: epoch milliseconds, or YYYY-MM-DD[THH:MM:SS[.fff]][Z] in UTC. */
static bool parse_ts(const char *s, size_t n, long long *out)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf) return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (*end == 0 && errno == 0) return *out = v, true;
    int y, mo, d, h = 0, mi = 0, sec = 0, used = 0;
    if (sscanf(buf, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10) return false;
    const char *p = buf + used;
    long long ms = 0;
    if (*p == 'T' || *p == ' ') {
        int u2 = 0;
        if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &u2) != 3 || u2 != 8) return false;
        p += 1 + u2;
        if (*p == '.') {
            int digits = 0;
            for (p++; isdigit((unsigned char)*p); p++, digits++)
                if (digits < 3) ms = ms * 10 + (*p - '0');
            if (digits == 0) return false;
            for (; digits < 3; digits++) ms *= 10;
        }
    }
    if (*p == 'Z') p++;
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
    *out = ((civil_to_days(y, mo, d) * 24 + h) * 60 + mi) * 60000LL + sec * 1000LL + ms;
    return true;
}

/* `clock T` (epoch ms or UTC date-time, as ts=) or `clock +DURATION`
 * ('+30 s', '+5 min', '+250 ms'): the processing-time clock moves. */
static int parse_clock(TestFile *f, int li, const char *s, size_t n, TestRecord *r)
{
    char *arg = arena_strndup(&f->arena, s, n);
    r->clock = true;
    if (*arg == '+') {
        int64_t ms;
        if (!opt_parse_duration_ms(arg + 1, &ms))
            return file_error(f, li, "clock %s: expected a duration after '+', such as '+30 s', '+5 min' or '+250 ms'", arg);
        r->clock_rel = true;
        r->clock_ms = ms;
        return 0;
    }
    if (!parse_ts(s, n, &r->clock_ms))
        return file_error(f, li, "clock %s: expected epoch milliseconds, 2024-01-31T10:00:00[.000] or +DURATION", arg);
    return 0;
}

/* One record line: [ts=…] [partition=…] [key=…] [op=…] VALUE | null | \VALUE | flush | clock …. */
static int parse_record(TestFile *f, int li, TestRecord *r)
{
    size_t n;
    const char *s = line_at(f, li, &n);
    trim(&s, &n);
    memset(r, 0, sizeof *r);
    r->line = li + 1;
    if (n == 5 && memcmp(s, "flush", 5) == 0) {
        r->flush = true;
        return 0;
    }
    if (n > 6 && memcmp(s, "clock", 5) == 0 && (s[5] == ' ' || s[5] == '\t')) {
        const char *a = s + 6;
        size_t an = n - 6;
        trim(&a, &an);
        return parse_clock(f, li, a, an, r);
    }
    static const char *const attrs[] = {"ts", "partition", "key", "op"};
    for (;;) {
        int which = -1;
        size_t alen = 0;
        for (int a = 0; a < 4; a++) {
            size_t l = strlen(attrs[a]);
            if (n > l && memcmp(s, attrs[a], l) == 0 && s[l] == '=') which = a, alen = l + 1;
        }
        if (which < 0) break;
        s += alen, n -= alen;
        size_t vl;
        if (n && (*s == '{' || *s == '[' || *s == '"')) vl = json_token_len(s, n);
        else
            for (vl = 0; vl < n && !isspace((unsigned char)s[vl]);) vl++;
        const char *v = s;
        s += vl, n -= vl;
        while (n && isspace((unsigned char)*s)) s++, n--;
        char *tok = arena_strndup(&f->arena, v, vl);
        switch (which) {
        case 0:
            if (!parse_ts(v, vl, &r->ts)) return file_error(f, li, "ts=%s: expected epoch milliseconds or 2024-01-31T10:00:00[.000]", tok);
            r->has_ts = true;
            break;
        case 1: {
            char *end;
            long p = strtol(tok, &end, 10);
            if (!vl || *end || p < 0 || p > 1000000) return file_error(f, li, "partition=%s: expected a partition number", tok);
            r->partition = (int)p;
            break;
        }
        case 2:
            r->key = tok;
            r->klen = vl;
            break;
        case 3:
            r->op = tok;
            break;
        }
    }
    if (n == 0) return file_error(f, li, "a record needs a value (write null for a tombstone, \\ for an empty value)");
    if (n == 4 && memcmp(s, "null", 4) == 0) return 0;   /* tombstone */
    if (*s == '\\') s++, n--;
    r->value = arena_strndup(&f->arena, s, n);
    r->vlen = n;
    return 0;
}

/* ---- sections and cases ---- */

/* A `--- word [arg]` line into sec; 0, or -1 (f->err says why). */
static int parse_header(TestFile *f, int li, TestSection *sec)
{
    size_t n;
    const char *s = line_at(f, li, &n);
    s += 3, n -= 3;
    trim(&s, &n);
    size_t wl = 0;
    while (wl < n && !isspace((unsigned char)s[wl])) wl++;
    const char *arg = s + wl;
    size_t an = n - wl;
    trim(&arg, &an);
    char *word = arena_strndup(&f->arena, s, wl);
    for (size_t i = 0; i < sizeof section_words / sizeof section_words[0]; i++) {
        if (strcmp(word, section_words[i].word) != 0) continue;
        sec->kind = section_words[i].kind;
        sec->line = li + 1;
        if (an && section_words[i].arg == 0) return file_error(f, li, "'--- %s' takes nothing after it", word);
        if (!an && section_words[i].arg == 2) return file_error(f, li, "'--- %s' needs a table name", word);
        for (size_t k = 0; k < an; k++)
            if (isspace((unsigned char)arg[k])) return file_error(f, li, "'--- %s' takes one name", word);
        sec->arg = an ? arena_strndup(&f->arena, arg, an) : NULL;
        return 0;
    }
    return file_error(f, li,
                      "unknown section '--- %s' (sections: sql, input TABLE, options, changelog [SINK], table [SINK], error, plan, counts)",
                      word);
}

static bool is_case_header(const char *s, size_t n) { return n >= 3 && memcmp(s, "===", 3) == 0; }
static bool is_section_header(const char *s, size_t n) { return n >= 3 && memcmp(s, "---", 3) == 0; }

/* Fills a section's body from lines [from, to). */
static int parse_body(TestFile *f, TestSection *sec, int from, int to)
{
    sec->body_first = from;
    sec->body_end = to;
    while (sec->body_end > from && line_is_filler(f, sec->body_end - 1)) sec->body_end--;
    if (sec->kind == TS_SQL) {
        /* Comment lines become empty lines, so that line numbers count
         * from the section's first line whatever the comments. */
        StrBuf b = {0};
        for (int i = from; i < to; i++) {
            size_t n;
            const char *s = line_at(f, i, &n);
            if (!line_is_comment(s, n)) sb_putn(&b, s, n);
            sb_putc(&b, '\n');
        }
        sec->sql = arena_strndup(&f->arena, b.s ? b.s : "", b.len);
        sec->sql_len = b.len;
        sb_free(&b);
        return 0;
    }
    PtrList items = {0};
    for (int i = from; i < to; i++) {
        if (line_is_filler(f, i)) continue;
        size_t n;
        const char *s = line_at(f, i, &n);
        if (sec->kind == TS_INPUT) {
            TestRecord *r = arena_alloc(&f->arena, sizeof *r);
            if (parse_record(f, i, r)) return -1;
            ptrlist_push(&f->arena, &items, r);
        } else if (sec->kind == TS_OPTIONS) {
            if (memchr(s, '\0', n)) return file_error(f, i, "a NUL byte in an option line");
            const char *eq = memchr(s, '=', n);
            if (!eq) return file_error(f, i, "expected 'key = value'");
            ptrlist_push(&f->arena, &items, arena_strndup(&f->arena, s, n));
        } else {
            if (sec->kind == TS_PLAN) rtrim(s, &n);
            else trim(&s, &n);
            ptrlist_push(&f->arena, &items, arena_strndup(&f->arena, s, n));
        }
    }
    if (sec->kind == TS_INPUT) {
        sec->recs = arena_alloc(&f->arena, sizeof(TestRecord) * (size_t)(items.n ? items.n : 1));
        for (int i = 0; i < items.n; i++) sec->recs[i] = *(TestRecord *)items.v[i];
        sec->nrecs = items.n;
    } else {
        sec->expect = (const char **)items.v;
        sec->nexpect = items.n;
    }
    return 0;
}

/* Applies a case's options (shared ones first). */
static int apply_options(TestFile *f, TestCase *c, const TestSection *sec)
{
    for (int i = 0; i < sec->nexpect; i++) {
        const char *s = sec->expect[i], *eq = strchr(s, '=');
        if (!eq) return file_error(f, sec->line - 1, "expected 'key = value'");
        const char *k = s, *v = eq + 1;
        size_t kn = (size_t)(eq - s), vn = strlen(v);
        trim(&k, &kn);
        trim(&v, &vn);
        const char *val = arena_strndup(&f->arena, v, vn);
        if (kn == 4 && memcmp(k, "emit", 4) == 0) {
            if (vn == 10 && memcmp(v, "per-record", 10) == 0) c->per_batch = false;
            else if (vn == 9 && memcmp(v, "per-batch", 9) == 0) c->per_batch = true;
            else return file_error(f, sec->line - 1, "option emit: expected per-record or per-batch, got '%s'", val);
        } else if (kn == 15 && memcmp(k, "final-watermark", 15) == 0) {
            if (!opt_parse_bool(val, &c->final_watermark))
                return file_error(f, sec->line - 1, "option final-watermark: expected true or false, got '%s'", val);
        } else if (kn == 6 && memcmp(k, "broker", 6) == 0) {
            bool over;
            if (!opt_parse_bool(val, &over)) return file_error(f, sec->line - 1, "option broker: expected true or false, got '%s'", val);
            c->memory_only = !over;
        } else if (kn >= 10 && memcmp(k, "partitions", 10) == 0 && (kn == 10 || (kn > 11 && k[10] == '.'))) {
            int64_t np;
            if (!opt_parse_int(val, &np) || np < 1 || np > 10000)
                return file_error(f, sec->line - 1, "option %s: expected a number of partitions (1 to 10000), got '%s'",
                                  arena_strndup(&f->arena, k, kn), val);
            if (kn == 10) {
                c->partitions = (int)np;
            } else {
                const char **t = arena_alloc(&f->arena, sizeof(char *) * (size_t)(c->npart_tables + 1));
                int *cnt = arena_alloc(&f->arena, sizeof(int) * (size_t)(c->npart_tables + 1));
                for (int i = 0; i < c->npart_tables; i++) t[i] = c->part_tables[i], cnt[i] = c->part_counts[i];
                t[c->npart_tables] = arena_strndup(&f->arena, k + 11, kn - 11);
                cnt[c->npart_tables++] = (int)np;
                c->part_tables = t;
                c->part_counts = cnt;
            }
        } else {
            return file_error(f, sec->line - 1, "unknown option '%s' (options: emit, final-watermark, partitions, partitions.TABLE, broker)",
                              arena_strndup(&f->arena, k, kn));
        }
    }
    return 0;
}

static int tf_parse(TestFile *f)
{
    /* A UTF-8 byte-order mark (some editors write one) is not part of the first line. */
    if (f->len >= 3 && memcmp(f->text, "\xEF\xBB\xBF", 3) == 0) {
        memmove(f->text, f->text + 3, f->len - 3);
        f->len -= 3;
    }
    /* Line table. */
    int cap = 64;
    f->lines = malloc(sizeof *f->lines * (size_t)cap);
    if (!f->lines) abort();
    f->nlines = 0;
    for (size_t at = 0; at < f->len;) {
        if (f->nlines + 2 >= cap) {
            cap *= 2;
            size_t *nl = realloc(f->lines, sizeof *f->lines * (size_t)cap);
            if (!nl) abort();
            f->lines = nl;
        }
        f->lines[f->nlines++] = at;
        const char *nlp = memchr(f->text + at, '\n', f->len - at);
        at = nlp ? (size_t)(nlp - f->text) + 1 : f->len;
    }
    f->lines[f->nlines] = f->len;

    PtrList shared = {0};       /* TestSection* of the preamble */
    TestCase *cur = NULL;       /* NULL while in the preamble */
    PtrList own = {0};          /* sections of the current case */
    TestSection *sec = NULL;    /* the open section */
    int sec_from = 0;
    for (int li = 0; li <= f->nlines; li++) {
        size_t n = 0;
        const char *s = li < f->nlines ? line_at(f, li, &n) : "";
        bool at_end = li == f->nlines, is_case = !at_end && is_case_header(s, n), is_sec = !at_end && !is_case && is_section_header(s, n);
        if (!at_end && !is_case && !is_sec) {
            if (!sec && !line_is_filler(f, li))
                return file_error(f, li, "text outside a section (a case starts with '=== name', a section with '--- sql', '--- input TABLE', …)");
            continue;
        }
        if (sec && parse_body(f, sec, sec_from, li)) return -1;
        sec = NULL;
        if (is_sec) {
            sec = arena_alloc(&f->arena, sizeof *sec);
            if (parse_header(f, li, sec)) return -1;
            sec_from = li + 1;
            if (!cur) {
                if (is_expectation(sec->kind))
                    return file_error(f, li, "expectations belong to a case: start one with '=== name' first");
                sec->shared = true;
                ptrlist_push(&f->arena, &shared, sec);
            } else {
                ptrlist_push(&f->arena, &own, sec);
            }
            continue;
        }
        /* A case ends here: finish the current one. */
        if (cur) {
            cur->secs = arena_alloc(&f->arena, sizeof(TestSection *) * (size_t)(shared.n + own.n + 1));
            cur->end = cur->line;   /* right after the header when it has no section */
            for (int i = 0; i < shared.n; i++) cur->secs[cur->nsecs++] = shared.v[i];
            for (int i = 0; i < own.n; i++) {
                TestSection *x = own.v[i];
                cur->secs[cur->nsecs++] = x;
                cur->end = x->body_end > x->line ? x->body_end : x->line;
            }
            int nsql = 0;
            for (int i = 0; i < own.n; i++) nsql += ((TestSection *)own.v[i])->kind == TS_SQL;
            if (nsql > 1) return file_error(f, cur->line - 1, "case '%s' has more than one '--- sql' section", cur->name);
            for (int i = 0; i < cur->nsecs; i++) {
                const TestSection *x = cur->secs[i];
                if (x->kind == TS_OPTIONS && apply_options(f, cur, x)) return -1;
                for (int r = 0; x->kind == TS_INPUT && r < x->nrecs; r++) cur->uses_clock = cur->uses_clock || x->recs[r].clock;
            }
            ptrlist_push(&f->arena, &f->cases, cur);
        }
        if (at_end) break;
        cur = arena_alloc(&f->arena, sizeof *cur);
        cur->file = f->path;
        cur->line = li + 1;
        const char *nm = s + 3;
        size_t nn = n - 3;
        trim(&nm, &nn);
        cur->name = nn ? arena_strndup(&f->arena, nm, nn) : arena_printf(&f->arena, "case at line %d", li + 1);
        memset(&own, 0, sizeof own);
    }
    int nsql = 0;
    for (int i = 0; i < shared.n; i++) nsql += ((TestSection *)shared.v[i])->kind == TS_SQL;
    if (nsql > 1) return file_error(f, 0, "the preamble has more than one '--- sql' section");
    if (f->cases.n == 0) return file_error(f, 0, "no cases: a case starts with a line '=== name'");
    return 0;
}

int tf_load(TestFile *f, const char *path)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    arena_init(&f->arena, 16 * 1024);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(f->err, sizeof f->err, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 8192;
    f->text = malloc(cap);
    if (!f->text) abort();
    for (;;) {
        if (f->len == cap) {
            cap *= 2;
            char *nt = realloc(f->text, cap);
            if (!nt) abort();
            f->text = nt;
        }
        size_t r = fread(f->text + f->len, 1, cap - f->len, fp);
        f->len += r;
        if (r == 0) break;
    }
    bool bad = ferror(fp);
    fclose(fp);
    if (bad) {
        snprintf(f->err, sizeof f->err, "%s: cannot read", path);
        return -1;
    }
    return tf_parse(f);
}

void tf_free(TestFile *f)
{
    free(f->text);
    free(f->lines);
    arena_free(&f->arena);
}

int tf_parse_text(TestFile *f, const char *path, const char *text, size_t len)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    arena_init(&f->arena, 16 * 1024);
    f->text = malloc(len ? len : 1);
    if (!f->text) abort();
    memcpy(f->text, text, len);
    f->len = len;
    return tf_parse(f);
}
