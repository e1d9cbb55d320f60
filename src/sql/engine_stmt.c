/*
 * engine_stmt.c — the catalog as SQL text and tables for the user:
 * SHOW CREATE TABLE / VIEW (text that compiles back into the same table,
 * which is also how ALTER TABLE and CREATE TABLE … LIKE rebuild tables),
 * DESCRIBE of a view, SHOW COLUMNS … LIKE, SHOW FUNCTIONS.  engine.c runs
 * the statements; this file only renders.
 */
#include "catalog.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "func.h"

/* `name` quoted as an identifier (back-quotes, a back-quote doubled). */
static void put_ident(StrBuf *b, const char *name)
{
    sb_putc(b, '`');
    for (const char *p = name; *p; p++) {
        if (*p == '`') sb_putc(b, '`');
        sb_putc(b, *p);
    }
    sb_putc(b, '`');
}

/* 'text' as a string literal (a quote doubled). */
void catalog_put_string(StrBuf *b, const char *s)
{
    sb_putc(b, '\'');
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '\'') sb_putc(b, '\'');
        sb_putc(b, *p);
    }
    sb_putc(b, '\'');
}

static void put_type(StrBuf *b, Type t)
{
    t.timeattr = TA_NONE;
    type_print(b, t);
}

void catalog_table_ddl(const CatTable *t, const char *name, const KeyValue *opts, int nopts, bool ctas_form, StrBuf *b)
{
    (void)ctas_form;
    sb_puts(b, "CREATE TABLE ");
    put_ident(b, name ? name : t->name);
    sb_puts(b, " (\n");
    for (int i = 0; i < t->ncols; i++) {
        const CatColumn *c = &t->cols[i];
        sb_puts(b, "  ");
        put_ident(b, c->name);
        if (c->kind == COL_COMPUTED) {
            sb_printf(b, " AS %s", c->expr_text ? c->expr_text : "NULL");
        } else {
            sb_putc(b, ' ');
            put_type(b, c->type);
            if (c->kind == COL_METADATA) {
                sb_puts(b, " METADATA FROM ");
                catalog_put_string(b, c->meta_key);
                if (c->virtual_) sb_puts(b, " VIRTUAL");
            }
        }
        sb_puts(b, i + 1 < t->ncols || t->npk || t->wm_col >= 0 ? ",\n" : "\n");
    }
    if (t->wm_col >= 0) {
        sb_puts(b, "  WATERMARK FOR ");
        put_ident(b, t->cols[t->wm_col].name);
        sb_printf(b, " AS %s%s\n", t->wm_text ? t->wm_text : "NULL", t->npk ? "," : "");
    }
    if (t->npk) {
        sb_puts(b, "  PRIMARY KEY (");
        for (int k = 0; k < t->npk; k++) {
            if (k) sb_puts(b, ", ");
            put_ident(b, t->cols[t->pk[k]].name);
        }
        sb_puts(b, ") NOT ENFORCED\n");
    }
    sb_putc(b, ')');
    if (!opts) {
        opts = t->opts;
        nopts = t->nopts;
    }
    if (nopts) {
        sb_puts(b, " WITH (\n");
        for (int i = 0; i < nopts; i++) {
            sb_puts(b, "  ");
            catalog_put_string(b, opts[i].key);
            sb_puts(b, " = ");
            catalog_put_string(b, opts[i].value);
            sb_puts(b, i + 1 < nopts ? ",\n" : "\n");
        }
        sb_putc(b, ')');
    }
    sb_puts(b, ";\n");
}

void catalog_view_ddl(const CatView *v, StrBuf *b)
{
    sb_printf(b, "CREATE %sVIEW ", v->temporary ? "TEMPORARY " : "");
    put_ident(b, v->name);
    if (v->ncols) {
        sb_puts(b, " (");
        for (int i = 0; i < v->ncols; i++) {
            if (i) sb_puts(b, ", ");
            put_ident(b, v->cols[i]);
        }
        sb_putc(b, ')');
    }
    sb_printf(b, " AS\n%s;\n", v->text);
}

char *catalog_describe_view(const CatView *v, const char *like)
{
    StrBuf b = {0};
    int w = 4, tw = 20;
    for (int i = 0; i < v->nout; i++) {
        if ((int)strlen(v->out_names[i]) > w) w = (int)strlen(v->out_names[i]);
        StrBuf ty = {0};
        Type tt = v->out_types[i];
        tt.nullable = 1;
        type_print(&ty, tt);
        if ((int)ty.len > tw) tw = (int)ty.len;
        sb_free(&ty);
    }
    sb_printf(&b, "%-*s  %-*s %-5s\n", w, "name", tw, "type", "null");
    for (int i = 0; i < v->nout; i++) {
        if (like && !catalog_like(v->out_names[i], like)) continue;
        StrBuf ty = {0};
        Type tt = v->out_types[i];
        tt.nullable = 1;
        type_print(&ty, tt);
        sb_printf(&b, "%-*s  %-*s %-5s\n", w, v->out_names[i], tw, ty.s, v->out_types[i].nullable ? "YES" : "NO");
        sb_free(&ty);
    }
    sb_printf(&b, "-- %sview: %s\n", v->temporary ? "temporary " : "", v->text);
    return sb_take(&b);
}

/* SQL LIKE: % any run, _ one character, case-sensitive (as Flink's SHOW COLUMNS … LIKE). */
bool catalog_like(const char *s, const char *pat)
{
    if (!*pat) return !*s;
    if (*pat == '%') {
        for (const char *p = s;; p++) {
            if (catalog_like(p, pat + 1)) return true;
            if (!*p) return false;
        }
    }
    if (!*s) return false;
    if (*pat != '_' && *pat != *s) return false;
    return catalog_like(s + 1, pat + 1);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

char *catalog_show_functions(const Catalog *c, bool user_only)
{
    StrBuf doc = {0}, out = {0};
    if (!user_only) func_document(&doc);
    const char **v = calloc((size_t)c->nfuncs + 512, sizeof *v);
    if (!v) abort();
    int n = 0;
    for (char *line = doc.s; line && *line && n < 512;) {   /* the built-in functions' names, from their documentation */
        char *next = line + strcspn(line, "\n");
        if (*next) *next++ = 0;
        line += strspn(line, " ");
        line[strcspn(line, " (")] = 0;
        if (*line && isupper((unsigned char)*line)) v[n++] = line;
        line = next;
    }
    for (int i = 0; i < c->nfuncs; i++) v[n++] = c->funcs[i]->def.name;   /* the user's, as created */
    qsort(v, (size_t)n, sizeof *v, cmp_str);
    for (int i = 0; i < n; i++)
        if (!i || strcmp(v[i], v[i - 1]) != 0) sb_printf(&out, "%s\n", v[i]);
    char *s = out.s ? sb_take(&out) : strdup("");
    sb_free(&doc);
    free(v);
    return s;
}
