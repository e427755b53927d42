/* text.c: UTF-8 helpers and contact masks. */
#include "lib/text.h"

#include <string.h>

#include "lib/arena.h"
#include "lib/banned.h"
#include "lib/err.h"
#include "lib/strbuf.h"

size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

int utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        size_t len;
        unsigned cp;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            p++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2, cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3, cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4, cp = c & 0x07;
        } else {
            return 0;
        }
        if ((size_t)(end - p) < len)
            return 0;
        for (size_t i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        p += len;
    }
    return 1;
}

void text_add_utf8(struct strbuf *sb, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && (unsigned char)s[j] < 0x80)
            j++;
        strbuf_add(sb, s + i, j - i);
        i = j;
        if (i >= n)
            break;
        size_t len = 0;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4;
        if (len && i + len <= n && utf8_valid(s + i, len)) {
            strbuf_add(sb, s + i, len);
            i += len;
        } else {
            strbuf_add(sb, "\xEF\xBF\xBD", 3);
            i++;
        }
    }
}

char *mask_phone(struct arena *a, const char *phone)
{
    if (!phone)
        return NULL;
    size_t n = strlen(phone);
    char *out = arena_alloc(a, n + 1);
    size_t keep_head = n >= 8 ? 3 : 0, keep_tail = n >= 8 ? 4 : (n > 2 ? 2 : 0);
    for (size_t i = 0; i < n; i++)
        out[i] = (i < keep_head || i >= n - keep_tail) ? phone[i] : '*';
    out[n] = '\0';
    return out;
}

char *mask_email(struct arena *a, const char *email)
{
    if (!email)
        return NULL;
    const char *at = strchr(email, '@');
    if (!at || at == email)
        return arena_strdup(a, "***");
    /* the first character, which may be several bytes */
    size_t first = 1;
    while (email + first < at && ((unsigned char)email[first] & 0xC0) == 0x80)
        first++;
    return arena_printf(a, "%.*s***%s", (int)first, email, at);
}

char *mask_member(struct arena *a, const char *member_id)
{
    return member_id ? arena_printf(a, "ID-%s", member_id) : NULL;
}

int text_blank(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (p && *p) {
        if (*p == ' ' || (*p >= '\t' && *p <= '\r'))
            p++;
        else if (p[0] == 0xC2 && p[1] == 0xA0) /* U+00A0 */
            p += 2;
        else if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) /* U+3000 */
            p += 3;
        else
            return 0;
    }
    return 1;
}

int text_check(const char *s, const char *field, size_t max, int required, struct kf_error *e)
{
    if (!s) {
        if (required)
            return kf_fail(e, KF_EINVAL, field, "this field is required");
        return 0;
    }
    if (required && text_blank(s))
        return kf_fail(e, KF_EINVAL, field, "this field may not be empty");
    if (utf8_chars(s) > max)
        return kf_fail(e, KF_EINVAL, field, "the text is too long");
    return 0;
}

const char *utf8_prefix(struct arena *a, const char *s, size_t max)
{
    size_t chars = 0, i = 0;
    while (s[i] && chars < max) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    return s[i] ? arena_strndup(a, s, i) : s;
}

int text_is_code(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n < 1 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}
