# migrations.awk: embeds the numbered migration files into a C header; do not edit the output.
# usage: awk -f migrations.awk src/store/migrations/NNN_name.sql... > migrations_gen.h
BEGIN {
    print "/* migrations_gen.h: generated from src/store/migrations by scripts/migrations.awk; do not edit. */"
    print "static const struct migration {"
    print "    int version;"
    print "    const char *name;"
    print "    const char *sql;"
    print "} migrations[] = {"
    cur = ""
}
FNR == 1 {
    if (cur != "")
        print "    },"
    cur = FILENAME
    sub(/.*\//, "", cur)
    sub(/\.sql$/, "", cur)
    ver = cur
    sub(/_.*/, "", ver)
    printf "    {%d, \"%s\",\n", ver + 0, cur
}
{
    line = $0
    gsub(/\\/, "\\\\", line)
    gsub(/"/, "\\\"", line)
    printf "        \"%s\\n\"\n", line
}
END {
    if (cur != "")
        print "    },"
    print "};"
}
