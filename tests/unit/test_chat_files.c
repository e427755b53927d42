/* test_chat_files.c: what a chat visitor may upload (images whose bytes are their type, never
 * SVG), which paths are chat uploads, and the codes of stores and departments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/chat.h"
#include "lib/text.h"

static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13};
static const unsigned char jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0, 16};
static const unsigned char gif[] = "GIF89a\x01\x00";
static const unsigned char webp[] = "RIFF\x10\x00\x00\x00WEBPVP8 ";

static void images_are_known_by_type_and_bytes(void **state)
{
    (void)state;
    assert_true(chat_image_ok("image/png", png, sizeof(png)));
    assert_true(chat_image_ok("IMAGE/PNG; charset=binary", png, sizeof(png)));
    assert_true(chat_image_ok("image/jpeg", jpeg, sizeof(jpeg)));
    assert_true(chat_image_ok("image/gif", gif, sizeof(gif) - 1));
    assert_true(chat_image_ok("image/webp", webp, sizeof(webp) - 1));
    /* a type its bytes are not, a type the chat does not take, nothing at all */
    assert_false(chat_image_ok("image/png", jpeg, sizeof(jpeg)));
    assert_false(chat_image_ok("image/jpeg", png, sizeof(png)));
    assert_false(chat_image_ok("image/webp", "RIFF\x10\x00\x00\x00WAVE", 12));
    assert_false(chat_image_ok("image/webp", "XXXX\x10\x00\x00\x00WEBP", 12));
    assert_false(chat_image_ok("image/svg+xml", "<svg/>", 6));
    assert_false(chat_image_ok("text/html", "<html>", 6));
    assert_false(chat_image_ok("image/pngx", png, sizeof(png)));
    assert_false(chat_image_ok(NULL, png, sizeof(png)));
    assert_false(chat_image_ok("image/png", png, 7)); /* cut short */
    assert_false(chat_image_ok("image/png", "", 0));
}

static void chat_upload_paths(void **state)
{
    (void)state;
    assert_true(chat_upload_path("/api/v1/chat/sessions/12/attachments"));
    assert_false(chat_upload_path("/api/v1/chat/sessions/12/attachments/3"));
    assert_false(chat_upload_path("/api/v1/chat/sessions/12/messages"));
    assert_false(chat_upload_path("/api/v1/chat/sessions/attachments"));
    assert_false(chat_upload_path("/api/v1/attachments"));
}

static void codes_are_short_words(void **state)
{
    (void)state;
    assert_true(text_is_code("SH-XJH", 64));
    assert_true(text_is_code("store_01", 8));
    assert_false(text_is_code("store_01", 7));
    assert_false(text_is_code("", 64));
    assert_false(text_is_code("上海店", 64));
    assert_false(text_is_code("a b", 64));
    assert_false(text_is_code("a/b", 64));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(images_are_known_by_type_and_bytes),
        cmocka_unit_test(chat_upload_paths),
        cmocka_unit_test(codes_are_short_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
