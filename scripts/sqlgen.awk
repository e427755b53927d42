# sqlgen.awk: turns named SQL blocks ("-- name: NAME") into a C header, generated at build time.
# usage: awk -f sqlgen.awk FILE.sql... > sql_gen.h
BEGIN {
    n = 0
}
/^-- name: / {
    name = $3
    if (name in seen) {
        printf "sqlgen: duplicate statement name %s\n", name > "/dev/stderr"
        exit 1
    }
    seen[name] = 1
    names[n++] = name
    text[name] = ""
    next
}
/^--/ { next }
{
    if (n == 0 || $0 ~ /^[ \t]*$/)
        next
    line = $0
    gsub(/\\/, "\\\\", line)
    gsub(/"/, "\\\"", line)
    text[names[n - 1]] = text[names[n - 1]] "    \"" line "\\n\"\n"
}
END {
    print "/* sql_gen.h: generated from the files in src/store/sql by scripts/sqlgen.awk; do not edit. */"
    print "#ifndef KEFU_SQL_GEN_H"
    print "#define KEFU_SQL_GEN_H"
    print ""
    print "enum sql_id {"
    for (i = 0; i < n; i++)
        printf "    SQL_%s,\n", names[i]
    print "    SQL__COUNT"
    print "};"
    print ""
    print "#ifdef SQL_GEN_TEXT"
    print "static const char *const sql_text[SQL__COUNT] = {"
    for (i = 0; i < n; i++)
        printf "    /* %s */\n%s    ,\n", names[i], text[names[i]]
    print "};"
    print "static const char *const sql_name[SQL__COUNT] = {"
    for (i = 0; i < n; i++)
        printf "    \"%s\",\n", names[i]
    print "};"
    print "#endif"
    print ""
    print "#endif"
}
