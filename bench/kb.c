/* kb.c: the knowledge base at scale: search and suggestions for a ticket over many published
 * articles, against the store (core/kb.c and its SQL, no HTTP).
 * Usage: kb [ARTICLES [SEARCHES]] (defaults 10000 2000). With KB_DB=path the database is kept
 * there (for a server to be started on it) instead of being removed. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/actor.h"
#include "core/kb.h"
#include "core/ticket.h"
#include "lib/arena.h"
#include "lib/ktime.h"
#include "lib/strbuf.h"
#include "store/db.h"

/* Words everyone writes, drawn first: they occur in nearly every article. */
static const char *const common[] = {
    "您好", "我们", "可以", "如果", "需要", "进行", "问题", "服务", "处理", "时间",
    "提供", "联系", "工作", "相关", "情况", "客户", "确认", "已经", "为您", "感谢",
};
/* Two-character words of customer service: what agents search for. */
static const char *const zh[] = {
    "客户", "订单", "保修", "退款", "物流", "发票", "售后", "安装", "维修", "配送", "会员", "积分",
    "优惠", "价格", "质量", "空调", "冰箱", "电视", "洗衣", "手机", "电脑", "耳机", "充电", "电池",
    "屏幕", "登录", "密码", "账号", "支付", "微信", "快递", "地址", "签收", "包装", "破损", "换货",
    "退货", "审核", "到账", "延保", "政策", "规则", "流程", "时效", "投诉", "建议", "咨询", "故障",
    "漏水", "噪音", "异味", "制冷", "加热", "遥控", "网络", "升级", "系统", "版本", "下载", "验证",
    "短信", "邮箱", "门店", "导购", "预约", "上门", "师傅", "费用", "配件", "型号", "序列", "发货",
    "仓库", "库存", "缺货", "预售", "定金", "尾款", "分期", "利息", "额度", "赠品", "活动", "满减",
    "红包", "发放", "核销", "兑换", "礼品", "生日", "等级", "权益", "续费", "开通", "取消", "冻结",
};
static const char *const en[] = {
    "refund",   "order",  "warranty", "delivery", "invoice", "account", "password", "payment",
    "shipping", "return", "exchange", "repair",   "install", "member",  "points",   "coupon",
    "battery",  "screen", "charger",  "login",    "update",  "version", "network",  "service",
};
enum {
    NCOMMON = sizeof(common) / sizeof(common[0]),
    NZH = sizeof(zh) / sizeof(zh[0]),
    NEN = sizeof(en) / sizeof(en[0]),
    NCHARS = 80,
    NVOCAB = NCOMMON + NZH + NCHARS * NCHARS, /* the rest: bigrams of common characters */
};
/* 80 common characters (3 bytes each in UTF-8) whose pairs are the long tail of the words */
static const char chars[] =
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会"
    "可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部";

/* The word of rank k (0: the most common), in buf. */
static const char *word(int k, char *buf)
{
    if (k < NCOMMON)
        return common[k];
    if ((k -= NCOMMON) < NZH)
        return zh[k];
    k -= NZH;
    memcpy(buf, chars + 3 * (k / NCHARS), 3);
    memcpy(buf + 3, chars + 3 * (k % NCHARS), 3);
    buf[6] = '\0';
    return buf;
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

/* A rank drawn with weight 1/(k+1) (Zipf's law, as words of real text are). */
static double harmonic[NVOCAB + 1];
static int zipf(void)
{
    double u = (double)(next() % 1000000) / 1e6 * harmonic[NVOCAB];
    int lo = 0, hi = NVOCAB - 1; /* the first k with harmonic[k + 1] >= u */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (harmonic[mid + 1] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* A text of n pieces: Chinese words (often two or three in a row) and now and then English. */
static void text(struct strbuf *sb, int n)
{
    char buf[8];
    for (int i = 0; i < n; i++) {
        if (next() % 8 == 0)
            strbuf_addf(sb, " %s ", en[next() % NEN]);
        else
            strbuf_addstr(sb, word(zipf(), buf));
        if (next() % 5 == 0)
            strbuf_addstr(sb, next() % 2 ? "," : "。");
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void must(int rc, const char *what, struct db *db)
{
    if (rc) {
        fprintf(stderr, "kb: %s failed (%d): %s\n", what, rc, db_errmsg(db));
        exit(1);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Wall-clock latencies v and the CPU time of each, cpu, of n calls. */
static void report(const char *what, double *v, double *cpu, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    qsort(cpu, (size_t)n, sizeof(*cpu), cmp_double);
    printf(
        "%s:\n  p50 %.2f ms, p99 %.2f ms, max %.2f ms (CPU p50 %.2f ms, p99 %.2f ms; %d calls)\n",
        what, v[n / 2], v[n * 99 / 100], v[n - 1], cpu[n / 2], cpu[n * 99 / 100], n);
}

static const char *const types[] = {"inquiry", "problem", "fault", "complaint"};
static const char *const cats[] = {"warranty-policy", "app-login", NULL, "logistics-delay"};

int main(int argc, char **argv)
{
    int articles = argc > 1 ? atoi(argv[1]) : 10000, searches = argc > 2 ? atoi(argv[2]) : 2000;
    const char *keep = getenv("KB_DB");
    char path[256];
    snprintf(path, sizeof(path), "%s", keep ? keep : "/tmp/kefu-kb-bench.db");
    if (!keep)
        snprintf(path, sizeof(path), "/tmp/kefu-kb-%d.db", (int)getpid());
    unlink(path);
    ktime_set_zone("Asia/Shanghai");
    for (int k = 0; k < NVOCAB; k++)
        harmonic[k + 1] = harmonic[k] + 1.0 / (k + 1);
    struct db *db;
    if (db_open(path, 0, &db, NULL) || db_migrate(db, NULL, NULL)) {
        fprintf(stderr, "kb: cannot open %s\n", path);
        return 1;
    }
    must(st_exec(db_stmt_sql(db, "PRAGMA synchronous=OFF")), "pragma", db);
    struct actor lead = {.name = "bench", .role = ROLE_ADMIN};

    /* the articles, published, in transactions of 500 */
    double t0 = now_ms();
    must(db_begin(db), "begin", db);
    for (int i = 0; i < articles; i++) {
        struct arena a = ARENA_INIT;
        struct strbuf title = STRBUF_INIT(4096), body = STRBUF_INIT(64 * 1024);
        text(&title, 3 + (int)(next() % 3));
        text(&body, 60 + (int)(next() % 140));
        const char *tags[] = {zh[next() % NZH], zh[next() % NZH]};
        int t = (int)(next() % 4);
        struct kb_input in = {.title = title.buf,
                              .body = body.buf,
                              .need_type = types[t],
                              .category = cats[t],
                              .has_category = 1,
                              .tags = tags,
                              .ntags = 2,
                              .has_tags = 1};
        struct kb_article k;
        must(kb_create(db, &lead, &in, &a, &k, NULL), "kb_create", db);
        must(kb_publish(db, &lead, k.id, 0, &a, &k, NULL), "kb_publish", db);
        strbuf_release(&title);
        strbuf_release(&body);
        arena_release(&a);
        if (i % 500 == 499) {
            must(db_commit(db), "commit", db);
            must(db_begin(db), "begin", db);
        }
    }
    must(db_commit(db), "commit", db);
    printf("setup: %d published articles in %.1f s\n", articles, (now_ms() - t0) / 1e3);

    /* searches for what agents look up: a service word, an English word, two service words;
     * then, apart, the worst case: a word nearly every article holds */
    double *lat = malloc((size_t)searches * sizeof(*lat)),
           *cpu = malloc((size_t)searches * sizeof(*cpu));
    for (int worst = 0; worst < 2; worst++) {
        int64_t found = 0;
        int runs = worst ? searches / 10 : searches;
        for (int i = 0; i < runs; i++) {
            struct arena a = ARENA_INIT;
            char q[64];
            if (worst)
                snprintf(q, sizeof(q), "%s", common[i % 4]);
            else if (i % 3 == 0)
                snprintf(q, sizeof(q), "%s", zh[i / 3 % NZH]);
            else if (i % 3 == 1)
                snprintf(q, sizeof(q), "%s", en[i / 3 % NEN]);
            else
                snprintf(q, sizeof(q), "%s %s", zh[i / 3 % NZH], zh[(i / 3 * 7 + 11) % NZH]);
            struct kb_article *v;
            size_t n;
            double s = now_ms(), c = cpu_ms();
            must(kb_search(db, q, NULL, NULL, 20, &a, &v, &n, NULL), "kb_search", db);
            lat[i] = now_ms() - s, cpu[i] = cpu_ms() - c;
            found += (int64_t)n;
            db_reset_all(db);
            arena_release(&a);
        }
        report(worst ? "search, a word in nearly every article (您好, 我们, ...)"
                     : "search, 20 best (a service word, an English word, two words)",
               lat, cpu, runs);
        printf("  (%.1f results a search on average)\n", (double)found / runs);
    }

    /* suggestions for tickets of varied text */
    enum { TICKETS = 200 };
    int64_t ids[TICKETS];
    must(db_begin(db), "begin", db);
    for (int i = 0; i < TICKETS; i++) {
        struct arena a = ARENA_INIT;
        struct strbuf subject = STRBUF_INIT(4096), desc = STRBUF_INIT(16 * 1024);
        text(&subject, 3 + (int)(next() % 3));
        text(&desc, 20 + (int)(next() % 60));
        char phone[16];
        snprintf(phone, sizeof(phone), "139%08d", i);
        int t = (int)(next() % 4);
        struct ticket_input in = {.channel = "TEL",
                                  .type = types[t],
                                  .category = cats[t],
                                  .subject = subject.buf,
                                  .description = desc.buf,
                                  .urgency = "medium",
                                  .has_customer = 1};
        in.customer.name = "客户";
        in.customer.phone = phone;
        struct ticket tk;
        must(ticket_create(db, &lead, &in, &a, &tk, NULL), "ticket_create", db);
        ids[i] = tk.id;
        strbuf_release(&subject);
        strbuf_release(&desc);
        arena_release(&a);
    }
    must(db_commit(db), "commit", db);
    int rounds = searches / 2;
    int64_t found = 0;
    for (int i = 0; i < rounds; i++) {
        struct arena a = ARENA_INIT;
        char ref[24];
        snprintf(ref, sizeof(ref), "%lld", (long long)ids[i % TICKETS]);
        struct kb_article *v;
        size_t n;
        double s = now_ms(), c = cpu_ms();
        must(kb_suggest(db, &lead, ref, &a, &v, &n, NULL, NULL), "kb_suggest", db);
        lat[i] = now_ms() - s, cpu[i] = cpu_ms() - c;
        found += (int64_t)n;
        db_reset_all(db);
        arena_release(&a);
    }
    report("suggestions for a ticket (its subject and description)", lat, cpu, rounds);
    printf("  (%.1f articles a ticket on average)\n", (double)found / rounds);
    free(lat);
    free(cpu);
    db_close(db);
    if (!keep) {
        char wal[300];
        snprintf(wal, sizeof(wal), "%s-wal", path);
        unlink(wal);
        snprintf(wal, sizeof(wal), "%s-shm", path);
        unlink(wal);
        unlink(path);
    }
    return 0;
}
